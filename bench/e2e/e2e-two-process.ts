/**
 * `npm run bench:e2e-two`: `npm run bench:e2e`'s throughput with the two clients in two processes, as in real use (each
 * pays only its own side's sealing or opening). Against the gateway in its own process (limits that do not bind), in
 * one run, alternating rounds without and with `e2e`: a fresh pair (the sender here, the receiver in a child process,
 * e2e-peer.process.ts), a probe sent as `pair()` resolves and answered at once (the time from `pair()` resolving to its
 * delivery in the receiver's process, on the machine's clock, and to its answer: a round trip of a fresh pair), then
 * `MESSAGES` messages of about 100 bytes as fast as the window allows: messages per second until the receiver reports
 * the last one, and the CPU time per message of the sender's process, the receiver's and the gateway's. Medians.
 * Results go to bench/results/e2e-two-process.{md,json}.
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { type Socket, io } from 'socket.io-client';
import { P2pClient } from '../../packages/client/src/index.js';
import { nextMessage } from '../harness/child-message.js';
import type { ServerProcess } from '../harness/server-process.js';
import { alternatingRounds } from './alternating.rounds.js';

const ROUNDS = 5;
const MESSAGES = 20_000;
const PAYLOAD = 'x'.repeat(100);
const PEER = fileURLToPath(new URL('./e2e-peer.process.js', import.meta.url));

/** What the receiver's process reports over IPC. */
interface PeerMessage {
  type: string;
  cpuMicros?: number;
  at?: number;
}

interface Round {
  /** From `pair()` resolving to the probe's delivery in the receiver's process (both on the machine's clock). */
  firstMs: number;
  /** From `pair()` resolving to the probe's answer: a round trip of a fresh pair. */
  answeredMs: number;
  perSecond: number;
  senderCpuMicros: number;
  receiverCpuMicros: number;
  gatewayCpuMicros: number;
}

async function round(server: ServerProcess, id: string, e2e: boolean): Promise<Round> {
  const peer = fork(PEER, [server.url, `t-${id}`, e2e ? '1' : '0', String(MESSAGES)]);
  await nextMessage(peer, 'ready');
  const socket = io(server.url, { transports: ['websocket'], forceNew: true, reconnection: false, autoConnect: false });
  const source = new P2pClient<Socket>(socket, { clientId: `s-${id}`, e2e });
  socket.connect();
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  const answered = new Promise<number>((resolve) => socket.once('answer', () => resolve(performance.now())));
  const first = nextMessage<PeerMessage>(peer, 'first');
  await source.pair(`t-${id}`);
  const paired = performance.now();
  source.emit('probe', -1);
  const answeredAt = await answered;
  const { at: firstAt } = await first;
  peer.send({ type: 'start' });
  await nextMessage(peer, 'started');
  const own0 = process.cpuUsage();
  const gateway0 = (await server.stats(false)).cpuMicros;
  const done = nextMessage<PeerMessage>(peer, 'done');
  const start = performance.now();
  for (let i = 0; i < MESSAGES; i++) if (!source.emit('m', PAYLOAD, i)) await source.drained();
  const { cpuMicros: receiverCpu } = await done;
  const seconds = (performance.now() - start) / 1000;
  const own = process.cpuUsage(own0);
  const gateway1 = (await server.stats(false)).cpuMicros;
  peer.send({ type: 'exit' });
  await once(peer, 'exit');
  socket.disconnect();
  return {
    firstMs: firstAt! - (performance.timeOrigin + paired),
    answeredMs: answeredAt - paired,
    perSecond: MESSAGES / seconds,
    senderCpuMicros: (own.user + own.system) / MESSAGES,
    receiverCpuMicros: receiverCpu! / MESSAGES,
    gatewayCpuMicros: (gateway1 - gateway0) / MESSAGES,
  };
}

const results = await alternatingRounds(ROUNDS, round);
const ratio = results.e2e.perSecond / results.plain.perSecond;
const cpuOf = (r: typeof results.plain) => r.senderCpuMicros + r.receiverCpuMicros + r.gatewayCpuMicros;
const cpuRatio = cpuOf(results.plain) / cpuOf(results.e2e);
const addedMs = results.e2e.firstMs - results.plain.firstMs;
const addedRoundTrips = addedMs / results.plain.answeredMs;
const row = (name: string, r: typeof results.plain) =>
  `| ${name} | ${r.perSecond.toFixed(0)} | ${r.senderCpuMicros.toFixed(1)} / ${r.receiverCpuMicros.toFixed(1)} / ${r.gatewayCpuMicros.toFixed(1)} | ${r.firstMs.toFixed(2)} | ${r.answeredMs.toFixed(2)} |`;
const header = [
  `npm run bench:e2e-two · two clients in two processes · ${ROUNDS} rounds each, ${MESSAGES} messages of ~${PAYLOAD.length} bytes per round, medians · limits not binding · ${cpus().length} cores ${cpus()[0]?.model ?? ''} · node ${process.version}`,
  '',
  '| | messages/s | CPU µs per message: sender / receiver / gateway | pair() to first delivery (ms) | pair() to its answer (ms) |',
  '|---|--:|--:|--:|--:|',
  row('without e2e', results.plain),
  row('with e2e', results.e2e),
  `| ratio | ${ratio.toFixed(2)} | ${cpuRatio.toFixed(2)} (CPU without / with) | +${addedMs.toFixed(2)} ms | |`,
  '',
  `e2e adds ${addedMs.toFixed(2)} ms before the first delivery: ${addedRoundTrips.toFixed(2)} round trips of a fresh pair without e2e (pair() to the answer of its first message, ${results.plain.answeredMs.toFixed(2)} ms).`,
].join('\n');
console.log(`\n${header}`);
const out = (name: string) => fileURLToPath(new URL(`../../../bench/results/${name}`, import.meta.url));
writeFileSync(out('e2e-two-process.md'), `${header}\n`);
writeFileSync(out('e2e-two-process.json'), `${JSON.stringify({ ...results, ratio, cpuRatio, addedMs, addedRoundTrips }, null, 2)}\n`);
process.exit(0);
