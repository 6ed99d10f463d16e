/**
 * `npm run bench:e2e`: what end-to-end encryption costs. Against the gateway in its own process (limits that do not
 * bind, so the relay is measured and not the limiter), in one run, alternating rounds without and with `e2e`: a pair of
 * fresh `P2pClient`s sends `MESSAGES` messages of about 100 bytes over the reliable channel as fast as its window lets
 * it (throughput: messages per second until the last is delivered; with e2e such a burst goes in sealed batches), then
 * `LONE` messages one per turn of the event loop (each sealed alone), and the time from `pair()` resolving to the first
 * message delivered (which, with e2e, includes the key exchange), and the round trip through the gateway of the same
 * pair (a message and its answer, both over the reliable channel, without e2e) to express that time in round trips.
 * Results go to bench/results/e2e.{md,json}.
 */
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Socket } from 'socket.io-client';
import { P2pClient } from '../../packages/client/src/index.js';
import type { ServerProcess } from '../harness/server-process.js';
import { alternatingRounds, median } from './alternating.rounds.js';
import { connectE2eClient } from './e2e-client.connect.js';

const ROUNDS = 7;
const PINGS = 50;
const MESSAGES = 20_000;
/** Messages sent one per turn of the event loop (an app that sends as things happen: no burst, so no sealed batch). */
const LONE = 5_000;
const PAYLOAD = 'x'.repeat(100);

interface Round {
  perSecond: number;
  /**
   * How long `pair()` itself takes (the request, the target's consent, the answer): with e2e, the keys made on both
   * sides and the pre-commitment they carry (docs/e2e.md), so that the work moved before `pair()` resolves shows.
   */
  pairMs: number;
  /** From `pair()` resolving to the first message delivered to the peer. */
  firstMs: number;
  /** From `pair()` resolving to the peer's answer to that first message: a round trip on a fresh pair. */
  answeredMs: number;
  /** Median round trip of a message and its answer once the pair is warm (after the throughput run). */
  warmRttMs: number;
  /** CPU time per message during the throughput run: this process (both clients), and the gateway's. */
  clientsCpuMicros: number;
  gatewayCpuMicros: number;
  /** The same for `LONE` messages sent one per turn of the event loop. */
  lonePerSecond: number;
  loneClientsCpuMicros: number;
  loneGatewayCpuMicros: number;
}

async function cpuNow(server: ServerProcess): Promise<{ clients: number; gateway: number }> {
  const own = process.cpuUsage();
  return { clients: own.user + own.system, gateway: (await server.stats(false)).cpuMicros };
}

/** The median time for `PINGS` messages each answered by the peer (one after the other). */
async function warmRoundTrip(source: P2pClient<Socket>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < PINGS; i++) {
    const answered = new Promise<void>((resolve) => source.socket.once('answer', () => resolve()));
    const sent = performance.now();
    source.emit('probe', i);
    await answered;
    times.push(performance.now() - sent);
  }
  return median(times);
}

async function round(server: ServerProcess, id: string, e2e: boolean): Promise<Round> {
  const url = server.url;
  const target = await connectE2eClient(url, `t-${id}`, e2e);
  const source = await connectE2eClient(url, `s-${id}`, e2e);
  let delivered = 0;
  let firstAt = 0;
  let done: () => void = () => undefined;
  const all = new Promise<void>((resolve) => (done = resolve));
  let expected = MESSAGES;
  target.socket.on('m', () => {
    if (++delivered === expected) done();
  });
  // The first message is a probe the peer answers at once: its delivery, then the answer's, after `pair()`.
  target.socket.on('probe', (n: number) => {
    if (n === -1) firstAt = performance.now();
    target.emit('answer', n);
  });
  const firstAnswer = new Promise<number>((resolve) => source.socket.once('answer', () => resolve(performance.now())));
  const asked = performance.now();
  await source.pair(`t-${id}`);
  const paired = performance.now();
  source.emit('probe', -1);
  const answeredAt = await firstAnswer;
  const cpu0 = await cpuNow(server);
  const start = performance.now();
  for (let i = 0; i < MESSAGES; i++) if (!source.emit('m', PAYLOAD, i)) await source.drained();
  await all;
  const seconds = (performance.now() - start) / 1000;
  const cpu1 = await cpuNow(server);
  // Lone messages: one per turn, each sealed alone (with e2e), as fast as the turns come.
  delivered = 0;
  expected = LONE;
  const allLone = new Promise<void>((resolve) => (done = resolve));
  const loneStart = performance.now();
  for (let i = 0; i < LONE; i++) {
    if (!source.emit('m', PAYLOAD, i)) await source.drained();
    await new Promise((resolve) => setImmediate(resolve));
  }
  await allLone;
  const loneSeconds = (performance.now() - loneStart) / 1000;
  const cpu2 = await cpuNow(server);
  const warmRttMs = await warmRoundTrip(source);
  source.socket.disconnect();
  target.socket.disconnect();
  return {
    perSecond: MESSAGES / seconds,
    pairMs: paired - asked,
    firstMs: firstAt - paired,
    answeredMs: answeredAt - paired,
    warmRttMs,
    clientsCpuMicros: (cpu1.clients - cpu0.clients) / MESSAGES,
    gatewayCpuMicros: (cpu1.gateway - cpu0.gateway) / MESSAGES,
    lonePerSecond: LONE / loneSeconds,
    loneClientsCpuMicros: (cpu2.clients - cpu1.clients) / LONE,
    loneGatewayCpuMicros: (cpu2.gateway - cpu1.gateway) / LONE,
  };
}

const results = await alternatingRounds(ROUNDS, round);
const ratio = results.e2e.perSecond / results.plain.perSecond;
const addedMs = results.e2e.firstMs - results.plain.firstMs;
const cpuOf = (r: { clientsCpuMicros: number; gatewayCpuMicros: number }) => r.clientsCpuMicros + r.gatewayCpuMicros;
/** What the machine's load does not skew: the CPU a message costs without e2e over what it costs with. */
const cpuRatio = cpuOf(results.plain) / cpuOf(results.e2e);
const loneRatio = results.e2e.lonePerSecond / results.plain.lonePerSecond;
const loneCpu = (r: typeof results.plain) => r.loneClientsCpuMicros + r.loneGatewayCpuMicros;
const loneCpuRatio = loneCpu(results.plain) / loneCpu(results.e2e);
const cpuText = (r: { clientsCpuMicros: number; gatewayCpuMicros: number }) =>
  `${r.clientsCpuMicros.toFixed(1)} / ${r.gatewayCpuMicros.toFixed(1)}`;
/** The added time in round trips of a fresh pair without e2e (the conditions the key exchange runs in). */
const addedRoundTrips = addedMs / results.plain.answeredMs;
const header = [
  `npm run bench:e2e · ${ROUNDS} rounds each, ${MESSAGES} messages of ~${PAYLOAD.length} bytes per round, medians · limits not binding · ${cpus().length} cores ${cpus()[0]?.model ?? ''} · node ${process.version}`,
  '',
  '| | messages/s | CPU µs per message: clients / gateway | pair() itself (ms) | pair() to first delivery (ms) | pair() to its answer (ms) | warm round trip (ms) |',
  '|---|--:|--:|--:|--:|--:|--:|',
  `| without e2e | ${results.plain.perSecond.toFixed(0)} | ${cpuText(results.plain)} | ${results.plain.pairMs.toFixed(2)} | ${results.plain.firstMs.toFixed(2)} | ${results.plain.answeredMs.toFixed(2)} | ${results.plain.warmRttMs.toFixed(2)} |`,
  `| with e2e | ${results.e2e.perSecond.toFixed(0)} | ${cpuText(results.e2e)} | ${results.e2e.pairMs.toFixed(2)} | ${results.e2e.firstMs.toFixed(2)} | ${results.e2e.answeredMs.toFixed(2)} | ${results.e2e.warmRttMs.toFixed(2)} |`,
  `| ratio | ${ratio.toFixed(2)} | ${cpuRatio.toFixed(2)} (CPU without / with) | +${(results.e2e.pairMs - results.plain.pairMs).toFixed(2)} ms | +${addedMs.toFixed(2)} ms | | |`,
  '',
  `e2e adds ${addedMs.toFixed(2)} ms before the first delivery: ${addedRoundTrips.toFixed(2)} round trips of a fresh pair without e2e (pair() to the answer of its first message, ${results.plain.answeredMs.toFixed(2)} ms), ${(addedMs / results.plain.warmRttMs).toFixed(1)} warm ones.`,
  '',
  `Lone messages: ${LONE} per round, one per turn of the event loop (each sealed alone: no sealed batch).`,
  '',
  '| | messages/s | CPU µs per message: clients / gateway |',
  '|---|--:|--:|',
  `| without e2e | ${results.plain.lonePerSecond.toFixed(0)} | ${results.plain.loneClientsCpuMicros.toFixed(1)} / ${results.plain.loneGatewayCpuMicros.toFixed(1)} |`,
  `| with e2e | ${results.e2e.lonePerSecond.toFixed(0)} | ${results.e2e.loneClientsCpuMicros.toFixed(1)} / ${results.e2e.loneGatewayCpuMicros.toFixed(1)} |`,
  `| ratio | ${loneRatio.toFixed(2)} | ${loneCpuRatio.toFixed(2)} (CPU without / with) |`,
].join('\n');
console.log(`\n${header}`);
const out = (name: string) => fileURLToPath(new URL(`../../../bench/results/${name}`, import.meta.url));
writeFileSync(out('e2e.md'), `${header}\n`);
writeFileSync(out('e2e.json'), `${JSON.stringify({ ...results, ratio, cpuRatio, loneRatio, loneCpuRatio, addedRoundTrips }, null, 2)}\n`);
process.exit(0);
