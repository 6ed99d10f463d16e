/**
 * Fire-and-forget relay: P2P_EMIT from each source to its peer. A fixed offered rate (latency below saturation), then
 * a window of messages in flight per pair (the saturated maximum and the server's CPU per million relays). `urls`: one
 * gateway (the main benchmark), or each pair's source on one node and its target on another (the cluster benchmark,
 * where the server CPU probed is the sum over the nodes).
 */
import type { RelayResult, RelaySpec } from '../workloads.js';
import { type Pair, type PairUrls, closePairs, openPairs } from './clients.js';
import { LatencySamples, sleep, until } from './latency.js';
import { probeServer, progress } from './parent.js';

const DRAIN_TIMEOUT_MS = 5_000;
const TICK_MS = 1;

export async function runRelay(urls: string | PairUrls, spec: RelaySpec): Promise<RelayResult> {
  const pairs = await openPairs(urls, spec.pairs, `relay${process.pid}`);
  const payload = 'x'.repeat(spec.payloadBytes);
  const sent = new Array<number>(pairs.length).fill(0);
  const received = new Array<number>(pairs.length).fill(0);
  let totalSent = 0;
  let delivered = 0;
  let errors = 0;
  let windowed = false;
  let samples = new LatencySamples();
  let recordFrom = Infinity;
  let recordTo = Infinity;

  const send = (i: number) => {
    const pair: Pair = pairs[i]!;
    sent[i]!++;
    totalSent++;
    pair.source.emit('P2P_EMIT', { targetClientId: pair.targetId, event: 'm', args: [performance.now(), payload] });
  };
  const pump = (i: number) => {
    while (windowed && sent[i]! - received[i]! < spec.window) send(i);
  };
  pairs.forEach((pair, i) => {
    pair.target.on('m', (sentAt: number, body: string) => {
      received[i]!++;
      delivered++;
      if (body.length !== payload.length) errors++;
      if (sentAt >= recordFrom && sentAt < recordTo) samples.add(performance.now() - sentAt);
      pump(i);
    });
    pair.source.on('P2P_ERROR', () => errors++);
  });
  const drain = async () => {
    windowed = false;
    await until(() => delivered === totalSent, DRAIN_TIMEOUT_MS);
  };

  // Fixed offered rate, spread over the pairs in turn; the first warmupMs are not recorded.
  progress(`fixed rate ${spec.offeredPerSec}/s`);
  const start = performance.now();
  let offered = 0;
  let next = 0;
  const ticker = setInterval(() => {
    const due = Math.floor(((performance.now() - start) / 1000) * spec.offeredPerSec);
    for (; offered < due; offered++) {
      send(next);
      next = (next + 1) % pairs.length;
    }
  }, TICK_MS);
  recordFrom = start + spec.warmupMs;
  recordTo = recordFrom + spec.measureMs;
  await sleep(spec.warmupMs);
  const fixedDelivered0 = delivered;
  await sleep(spec.measureMs);
  const fixedDelivered = delivered - fixedDelivered0;
  clearInterval(ticker);
  await drain();
  const fixed = {
    offeredPerSec: spec.offeredPerSec,
    deliveredPerSec: (fixedDelivered / spec.measureMs) * 1000,
    p50Ms: samples.percentile(50),
    p99Ms: samples.percentile(99),
    lost: totalSent - delivered,
  };

  // Saturated: every pair keeps `window` messages in flight.
  progress('saturated');
  samples = new LatencySamples();
  windowed = true;
  pairs.forEach((_, i) => pump(i));
  await sleep(spec.warmupMs);
  const cpu0 = await probeServer(false);
  const own0 = process.cpuUsage();
  const t0 = performance.now();
  const d0 = delivered;
  recordFrom = t0;
  recordTo = Infinity;
  await sleep(spec.measureMs);
  const t1 = performance.now();
  const d1 = delivered;
  recordTo = t1;
  const own = process.cpuUsage(own0);
  const cpu1 = await probeServer(false);
  await drain();
  closePairs(pairs);
  const relays = d1 - d0;
  const cpuSec = cpu0 && cpu1 ? (cpu1.cpuMicros - cpu0.cpuMicros) / 1e6 : null;
  return {
    kind: 'relay',
    fixed,
    max: {
      deliveredPerSec: (relays / (t1 - t0)) * 1000,
      p50Ms: samples.percentile(50),
      p99Ms: samples.percentile(99),
      cpuSecPerMillion: cpuSec === null || relays === 0 ? null : (cpuSec / relays) * 1e6,
      serverBusy: cpuSec === null ? null : cpuSec / ((t1 - t0) / 1000),
      loadBusy: (own.user + own.system) / 1000 / (t1 - t0),
    },
    errors: errors + (totalSent - delivered),
  };
}
