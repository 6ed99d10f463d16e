/**
 * `npm run bench:first-delivery`: how long the first message of a fresh pairing takes. Against the gateway in its own
 * process (default limits, as `npm start` runs it), each round connects a source and a target `P2pClient` (protocol 3),
 * pairs them, and the moment `pair()` resolves the source emits ten messages at once. Measured: the time from `pair()`
 * resolving to the target's first delivery, over 60 fresh pairings run 5 at a time and 60 run one after another; and
 * the frames the sources wrote against the messages they sent (a frame sent twice is a resend). Results go to
 * bench/results/first-delivery.{md,json}.
 */
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { type Socket, io } from 'socket.io-client';
import { P2pClient } from '../../packages/client/src/index.js';
import { P2pEvent } from '../../packages/protocol/src/index.js';
import { ServerProcess } from '../harness/server-process.js';
import { pinningEnabled } from '../harness/pinning.js';

const PAIRINGS = 60;
const MESSAGES = 10;

interface Figures {
  pairings: number;
  p50: number;
  p99: number;
  max: number;
  /** Numbered frames the sources wrote, and the messages they sent: equal when none went twice. */
  framesSent: number;
  messagesSent: number;
}

async function connect(url: string, clientId: string): Promise<P2pClient<Socket>> {
  const socket = io(url, { transports: ['websocket'], forceNew: true, reconnection: false, autoConnect: false });
  const client = new P2pClient(socket, { clientId });
  socket.connect();
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return client;
}

/** Counts the numbered frames (those carrying a message) a client writes. */
function countNumberedFrames(client: P2pClient<Socket>, counter: { frames: number }): void {
  client.socket.io.engine.on('packetCreate', (packet: { data?: unknown }) => {
    if (typeof packet.data === 'string' && packet.data.includes(`"${P2pEvent.FRAME}",{"s":`)) counter.frames++;
  });
}

async function freshPairing(url: string, id: string, counter: { frames: number }): Promise<number> {
  const target = await connect(url, `t-${id}`);
  const source = await connect(url, `s-${id}`);
  countNumberedFrames(source, counter);
  const first = new Promise<number>((resolve) => target.socket.once('m', () => resolve(performance.now())));
  await source.pair(`t-${id}`);
  const paired = performance.now();
  for (let i = 0; i < MESSAGES; i++) source.emit('m', i);
  const latency = (await first) - paired;
  // Every message confirmed: a resend, if any, has happened by now.
  while (source.unconfirmed > 0) await new Promise((resolve) => setTimeout(resolve, 5));
  source.socket.disconnect();
  target.socket.disconnect();
  return latency;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function run(url: string, label: string, concurrency: number): Promise<Figures> {
  const counter = { frames: 0 };
  const latencies: number[] = [];
  for (let started = 0; started < PAIRINGS; started += concurrency) {
    const batch = Array.from({ length: Math.min(concurrency, PAIRINGS - started) }, (_, i) => `${label}-${started + i}`);
    latencies.push(...(await Promise.all(batch.map((id) => freshPairing(url, id, counter)))));
  }
  latencies.sort((a, b) => a - b);
  return {
    pairings: PAIRINGS,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies[latencies.length - 1]!,
    framesSent: counter.frames,
    messagesSent: PAIRINGS * MESSAGES,
  };
}

const server = new ServerProcess('gateway', { env: { BENCH_LIMITS: 'default' } });
await server.start();
const results = {
  '5 at a time': await run(server.url, 'c5', 5),
  'one after another': await run(server.url, 'c1', 1),
};
await server.stop();

const rows = Object.entries(results).map(
  ([label, f]) =>
    `| ${label} | ${f.pairings} | ${f.p50.toFixed(1)} | ${f.p99.toFixed(1)} | ${f.max.toFixed(1)} | ${f.framesSent} / ${f.messagesSent} |`,
);
const header = [
  `npm run bench:first-delivery · ${PAIRINGS} fresh pairings per row, ${MESSAGES} messages emitted the moment pair() resolves · gateway with default limits · ${cpus().length} cores ${cpus()[0]?.model ?? ''} · node ${process.version} · ${pinningEnabled() ? 'gateway pinned to its own core' : 'not pinned'}`,
  '',
  '| pairings | count | pair() to first delivery p50 (ms) | p99 (ms) | max (ms) | numbered frames written / messages |',
  '|---|--:|--:|--:|--:|--:|',
  ...rows,
].join('\n');
console.log(`\n${header}`);
const out = (name: string) => fileURLToPath(new URL(`../../../bench/results/${name}`, import.meta.url));
writeFileSync(out('first-delivery.md'), `${header}\n`);
writeFileSync(out('first-delivery.json'), `${JSON.stringify(results, null, 2)}\n`);
process.exit(0);
