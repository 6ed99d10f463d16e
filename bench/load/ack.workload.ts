/**
 * Relay with ack: P2P_EMIT_ACKNOWLEDGE round trips, `window` in flight per pair; the peer answers each at once.
 * `urls` as for the relay workload: one gateway, or the source and the target of each pair on nodes of their own.
 */
import type { AckResult, AckSpec } from '../workloads.js';
import { type Pair, type PairUrls, closePairs, openPairs } from './clients.js';
import { LatencySamples, sleep, until } from './latency.js';
import { probeServer, progress } from './parent.js';

const DRAIN_TIMEOUT_MS = 5_000;

export async function runAck(urls: string | PairUrls, spec: AckSpec): Promise<AckResult> {
  const pairs = await openPairs(urls, spec.pairs, `ack${process.pid}`);
  const payload = 'x'.repeat(spec.payloadBytes);
  const samples = new LatencySamples();
  let running = true;
  let inFlight = 0;
  let completed = 0;
  let errors = 0;
  let recordFrom = Infinity;
  let recordTo = Infinity;

  for (const pair of pairs) {
    pair.target.on('a', (_body: string, reply: (answer: string) => void) => reply('ok'));
    pair.source.on('P2P_ERROR', () => errors++);
  }
  const roundTrip = (pair: Pair) => {
    const sentAt = performance.now();
    inFlight++;
    pair.source.emit('P2P_EMIT_ACKNOWLEDGE', { targetClientId: pair.targetId, event: 'a', args: [payload] }, (answer: unknown) => {
      inFlight--;
      completed++;
      if (answer !== 'ok') errors++;
      if (sentAt >= recordFrom && sentAt < recordTo) samples.add(performance.now() - sentAt);
      if (running) roundTrip(pair);
    });
  };

  progress(`${spec.window} round trips in flight per pair`);
  for (const pair of pairs) for (let k = 0; k < spec.window; k++) roundTrip(pair);
  await sleep(spec.warmupMs);
  const cpu0 = await probeServer(false);
  const own0 = process.cpuUsage();
  const t0 = performance.now();
  const c0 = completed;
  recordFrom = t0;
  await sleep(spec.measureMs);
  const t1 = performance.now();
  const c1 = completed;
  recordTo = t1;
  const own = process.cpuUsage(own0);
  const cpu1 = await probeServer(false);
  running = false;
  if (!(await until(() => inFlight === 0, DRAIN_TIMEOUT_MS))) errors += inFlight;
  closePairs(pairs);
  const cpuSec = cpu0 && cpu1 ? (cpu1.cpuMicros - cpu0.cpuMicros) / 1e6 : null;
  return {
    kind: 'ack',
    roundTripsPerSec: ((c1 - c0) / (t1 - t0)) * 1000,
    cpuSecPerMillion: cpuSec === null || c1 === c0 ? null : (cpuSec / (c1 - c0)) * 1e6,
    serverBusy: cpuSec === null ? null : cpuSec / ((t1 - t0) / 1000),
    loadBusy: (own.user + own.system) / 1000 / (t1 - t0),
    p50Ms: samples.percentile(50),
    p99Ms: samples.percentile(99),
    errors,
  };
}
