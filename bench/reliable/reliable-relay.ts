/**
 * `npm run bench:reliable`: the reliable channel (protocol 3 P2pClients) against plain relays (protocol 2
 * P2pClients, `reliable: false`) through the same gateway build, in one run, rounds alternating. Both keep a bounded
 * number of messages in flight per pair and run saturated. Reported, per mode: delivered messages per second, the
 * gateway's CPU per million messages, the load process's CPU per message (both clients' libraries run there), and the
 * bytes both clients write per delivered message (frames, numbers and acknowledgements included). Results go to
 * bench/results/reliable.{md,json}. `-- --short` runs 2 rounds of 3 s.
 */
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { type Socket, io } from 'socket.io-client';
import { P2pClient } from '../../packages/client/src/index.js';
import { ServerProcess } from '../harness/server-process.js';
import { pinningEnabled } from '../harness/pinning.js';

type Mode = 'plain' | 'reliable';

const short = process.argv.includes('--short');
const ROUNDS = short ? 2 : 5;
const MEASURE_MS = short ? 3_000 : 6_000;
const WARMUP_MS = 1_500;
const PAIRS = 8;
/** Plain relays kept in flight per pair; the reliable channel uses its own default window. */
const PLAIN_WINDOW = 512;
const PAYLOAD = 'x'.repeat(64);

interface RoundFigures {
  deliveredPerSec: number;
  serverCpuSecPerMillion: number;
  loadCpuMicrosPerMessage: number;
  wireBytesPerMessage: number;
  lost: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function connect(url: string, clientId: string, mode: Mode): Promise<P2pClient<Socket>> {
  const socket = io(url, { transports: ['websocket'], forceNew: true, reconnection: false, autoConnect: false });
  const client = new P2pClient(socket, { clientId, ...(mode === 'plain' ? { reliable: false } : {}) });
  socket.connect();
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return client;
}

/** Counts what a client writes to the server: the engine.io packets it creates, in characters (bytes for binary). */
function meterWrites(client: P2pClient<Socket>, total: { bytes: number }): void {
  client.socket.io.engine.on('packetCreate', (packet: { data?: unknown }) => {
    const data = packet.data;
    total.bytes += typeof data === 'string' ? data.length : ((data as { byteLength?: number } | undefined)?.byteLength ?? 0);
  });
}

async function round(mode: Mode, roundNo: number): Promise<RoundFigures> {
  const server = new ServerProcess('gateway');
  await server.start();
  const written = { bytes: 0 };
  const pairs: Array<{ source: P2pClient<Socket>; target: P2pClient<Socket>; sent: number; received: number }> = [];
  for (let i = 0; i < PAIRS; i++) {
    const target = await connect(server.url, `t${roundNo}-${i}`, mode);
    const source = await connect(server.url, `s${roundNo}-${i}`, mode);
    await source.pair(`t${roundNo}-${i}`);
    for (const client of [source, target]) meterWrites(client, written);
    pairs.push({ source, target, sent: 0, received: 0 });
  }
  if (pairs.some((pair) => pair.source.reliable !== (mode === 'reliable'))) throw new Error(`${mode}: the pairs did not take that mode`);
  let running = true;
  let delivered = 0;
  const pump = (pair: (typeof pairs)[number]): void => {
    while (running) {
      if (mode === 'plain' && pair.sent - pair.received >= PLAIN_WINDOW) return;
      pair.sent++;
      if (!pair.source.emit('m', PAYLOAD) && mode === 'reliable') {
        void pair.source.drained().then(() => pump(pair));
        return;
      }
    }
  };
  for (const pair of pairs) {
    pair.target.socket.on('m', () => {
      pair.received++;
      delivered++;
      if (mode === 'plain') pump(pair);
    });
    pump(pair);
  }
  await sleep(WARMUP_MS);
  const server0 = await server.stats(false);
  const load0 = process.cpuUsage();
  const delivered0 = delivered;
  const bytes0 = written.bytes;
  const t0 = performance.now();
  await sleep(MEASURE_MS);
  const t1 = performance.now();
  const count = delivered - delivered0;
  const bytes = written.bytes - bytes0;
  const load = process.cpuUsage(load0);
  const server1 = await server.stats(false);
  running = false;
  // Let what is in flight arrive, then count what never did.
  const deadline = Date.now() + 10_000;
  while (pairs.some((pair) => pair.received < pair.sent) && Date.now() < deadline) await sleep(50);
  const lost = pairs.reduce((sum, pair) => sum + pair.sent - pair.received, 0);
  for (const pair of pairs) {
    pair.source.socket.disconnect();
    pair.target.socket.disconnect();
  }
  await server.stop();
  return {
    deliveredPerSec: (count / (t1 - t0)) * 1000,
    serverCpuSecPerMillion: ((server1.cpuMicros - server0.cpuMicros) / 1e6 / count) * 1e6,
    loadCpuMicrosPerMessage: (load.user + load.system) / count,
    wireBytesPerMessage: bytes / count,
    lost,
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const results: Record<Mode, RoundFigures[]> = { plain: [], reliable: [] };
for (let r = 0; r < ROUNDS; r++) {
  // Alternate which mode goes first, so drift on a shared machine falls on both.
  for (const mode of (r % 2 === 0 ? ['plain', 'reliable'] : ['reliable', 'plain']) as Mode[]) {
    const figures = await round(mode, r);
    results[mode].push(figures);
    console.log(
      `round ${r + 1}/${ROUNDS} ${mode}: ${Math.round(figures.deliveredPerSec)} msg/s, ${figures.wireBytesPerMessage.toFixed(1)} B/msg`,
    );
  }
}

const keys: Array<[keyof RoundFigures, string, number]> = [
  ['deliveredPerSec', 'delivered, saturated (msg/s)', 0],
  ['serverCpuSecPerMillion', 'gateway CPU per million messages (s)', 2],
  ['loadCpuMicrosPerMessage', 'clients CPU per message (µs)', 2],
  ['wireBytesPerMessage', 'bytes written by both clients per message', 1],
  ['lost', 'messages not delivered (sum over rounds)', 0],
];
const rows = keys.map(([key, label, digits]) => {
  const plain = key === 'lost' ? results.plain.reduce((s, f) => s + f.lost, 0) : median(results.plain.map((f) => f[key]));
  const reliable = key === 'lost' ? results.reliable.reduce((s, f) => s + f.lost, 0) : median(results.reliable.map((f) => f[key]));
  const ratios = results.reliable.map((f, i) => f[key] / results.plain[i]![key]);
  const ratio =
    key === 'lost' ? '-' : `${(reliable / plain).toFixed(2)}x (${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)})`;
  return `| ${label} | ${plain.toFixed(digits)} | ${reliable.toFixed(digits)} | ${ratio} |`;
});
const header = [
  `npm run bench:reliable${short ? ' -- --short' : ''} · ${ROUNDS} round(s) of ${MEASURE_MS / 1000} s per mode, medians · ${PAIRS} pairs, 64 B messages · ${cpus().length} cores ${cpus()[0]?.model ?? ''} · node ${process.version} · ${pinningEnabled() ? 'gateway pinned to its own core' : 'not pinned'}`,
  '',
  '| figure | plain relay (protocol 2) | reliable channel (protocol 3) | reliable/plain (range) |',
  '|---|--:|--:|--:|',
  ...rows,
].join('\n');
console.log(`\n${header}`);
const out = (name: string) => fileURLToPath(new URL(`../../../bench/results/${name}`, import.meta.url));
writeFileSync(out(short ? 'reliable-short.md' : 'reliable.md'), `${header}\n`);
writeFileSync(out(short ? 'reliable-short.json' : 'reliable.json'), `${JSON.stringify(results, null, 2)}\n`);
process.exit(0);
