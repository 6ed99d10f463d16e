/**
 * The relay and relay-with-ack workloads of the main benchmark (bench/load/relay.workload.ts, ack.workload.ts), with
 * the source and the target of each pair on gateway nodes of their own. Same phases, same figures; the server CPU
 * probed is the sum over the nodes involved.
 */
import type { AckResult, AckSpec, RelayResult, RelaySpec } from '../workloads.js';
import type { Pair } from '../load/clients.js';
import { LatencySamples, sleep, until } from '../load/latency.js';
import { probeServer, progress } from '../load/parent.js';
import { closePairs, openPairsAcross } from './cross-pairs.js';

const DRAIN_TIMEOUT_MS = 5_000;
const TICK_MS = 1;

/** Server CPU seconds and load busy share over a window opened by `startWindow`. */
async function startWindow() {
  const cpu0 = await probeServer(false);
  const own0 = process.cpuUsage();
  const t0 = performance.now();
  return async (done: number) => {
    const t1 = performance.now();
    const own = process.cpuUsage(own0);
    const cpu1 = await probeServer(false);
    const cpuSec = cpu0 && cpu1 ? (cpu1.cpuMicros - cpu0.cpuMicros) / 1e6 : null;
    const wallSec = (t1 - t0) / 1000;
    return {
      t1,
      perSec: done / wallSec,
      cpuSecPerMillion: cpuSec === null || done === 0 ? null : (cpuSec / done) * 1e6,
      serverBusy: cpuSec === null ? null : cpuSec / wallSec,
      loadBusy: (own.user + own.system) / 1e6 / wallSec,
    };
  };
}

export async function runRelayAcross(sourceUrl: string, targetUrl: string, spec: RelaySpec): Promise<RelayResult> {
  const pairs = await openPairsAcross(sourceUrl, targetUrl, spec.pairs, `xrelay${process.pid}`);
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

  progress('saturated');
  samples = new LatencySamples();
  windowed = true;
  pairs.forEach((_, i) => pump(i));
  await sleep(spec.warmupMs);
  const d0 = delivered;
  const end = await startWindow();
  recordFrom = performance.now();
  recordTo = Infinity;
  await sleep(spec.measureMs);
  recordTo = performance.now();
  const window = await end(delivered - d0);
  await drain();
  closePairs(pairs);
  return {
    kind: 'relay',
    fixed,
    max: {
      deliveredPerSec: window.perSec,
      p50Ms: samples.percentile(50),
      p99Ms: samples.percentile(99),
      cpuSecPerMillion: window.cpuSecPerMillion,
      serverBusy: window.serverBusy,
      loadBusy: window.loadBusy,
    },
    errors: errors + (totalSent - delivered),
  };
}

export async function runAckAcross(sourceUrl: string, targetUrl: string, spec: AckSpec): Promise<AckResult> {
  const pairs = await openPairsAcross(sourceUrl, targetUrl, spec.pairs, `xack${process.pid}`);
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
  const c0 = completed;
  const end = await startWindow();
  recordFrom = performance.now();
  await sleep(spec.measureMs);
  recordTo = performance.now();
  const window = await end(completed - c0);
  running = false;
  if (!(await until(() => inFlight === 0, DRAIN_TIMEOUT_MS))) errors += inFlight;
  closePairs(pairs);
  return {
    kind: 'ack',
    roundTripsPerSec: window.perSec,
    cpuSecPerMillion: window.cpuSecPerMillion,
    serverBusy: window.serverBusy,
    loadBusy: window.loadBusy,
    p50Ms: samples.percentile(50),
    p99Ms: samples.percentile(99),
    errors,
  };
}
