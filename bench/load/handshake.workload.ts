/**
 * Pairing handshakes. First the full cycle on new connections (connect two clients, pair, unpair, disconnect), then
 * pair + unpair alone on connections that stay open, `lanes` at a time (with `pairUnpairOnly`, only the latter).
 */
import type { HandshakeResult, HandshakeSpec } from '../workloads.js';
import { closePairs, consentToPairing, openClient, openPairs, requestPairing, unregister, whenConnected } from './clients.js';
import { probeServer, progress } from './parent.js';

/**
 * Runs `cycle` back to back in each lane until `ms` have passed; answers completed cycles per second, errors, and how
 * busy the server and the load generator were meanwhile.
 */
async function repeatInLanes(lanes: number, ms: number, cycle: (lane: number, n: number) => Promise<void>) {
  const cpu0 = await probeServer(false);
  const own0 = process.cpuUsage();
  const start = performance.now();
  const deadline = start + ms;
  let completed = 0;
  let errors = 0;
  await Promise.all(
    Array.from({ length: lanes }, async (_, lane) => {
      for (let n = 0; performance.now() < deadline; n++) {
        try {
          await cycle(lane, n);
          completed++;
        } catch {
          errors++;
        }
      }
    }),
  );
  const elapsedMs = performance.now() - start;
  const own = process.cpuUsage(own0);
  const cpu1 = await probeServer(false);
  const serverCpuMs = cpu0 && cpu1 ? (cpu1.cpuMicros - cpu0.cpuMicros) / 1000 : null;
  const loadBusy = (own.user + own.system) / 1000 / elapsedMs;
  return {
    perSec: (completed / elapsedMs) * 1000,
    errors,
    serverBusy: serverCpuMs === null ? null : serverCpuMs / elapsedMs,
    serverCpuMsPerOp: serverCpuMs === null || completed === 0 ? null : serverCpuMs / completed,
    loadBusy,
  };
}

export async function runHandshakes(url: string, spec: HandshakeSpec): Promise<HandshakeResult> {
  const prefix = `hs${process.pid}`;
  const full = spec.pairUnpairOnly ? undefined : await connectCycles(url, spec, prefix);

  progress(`pair + unpair on open connections, ${spec.lanes} lanes`);
  const pairs = await openPairs(url, spec.lanes, `${prefix}-open`);
  await Promise.all(pairs.map((pair) => unregister(pair.source)));
  const cycle = async (lane: number) => {
    const pair = pairs[lane]!;
    await requestPairing(pair.source, pair.targetId);
    await unregister(pair.source);
  };
  // Alone (`pairunpair`), the server starts cold: its first thousands of cycles run before the JIT has compiled the
  // path, a cost a server that has been running does not have. Those are run first, not measured.
  const warm = spec.warmupMs ? await repeatInLanes(spec.lanes, spec.warmupMs, cycle) : undefined;
  const reuse = await repeatInLanes(spec.lanes, spec.measureMs, cycle);
  closePairs(pairs);
  return {
    kind: 'handshakes',
    handshakesPerSec: full?.perSec ?? null,
    pairUnpairPerSec: reuse.perSec,
    handshakeServerBusy: full?.serverBusy ?? null,
    pairUnpairServerBusy: reuse.serverBusy,
    handshakeLoadBusy: full?.loadBusy ?? null,
    pairUnpairLoadBusy: reuse.loadBusy,
    handshakeServerCpuMs: full?.serverCpuMsPerOp ?? null,
    pairUnpairServerCpuMs: reuse.serverCpuMsPerOp,
    errors: (full?.errors ?? 0) + (warm?.errors ?? 0) + reuse.errors,
  };
}

/** The full cycle on new connections: connect two clients, pair, unpair, disconnect. */
function connectCycles(url: string, spec: HandshakeSpec, prefix: string) {
  progress(`connect + pair + unpair, ${spec.lanes} lanes`);
  return repeatInLanes(spec.lanes, spec.measureMs, async (lane, n) => {
    const sourceId = `${prefix}-${lane}-${n}-s`;
    const targetId = `${prefix}-${lane}-${n}-t`;
    const source = openClient(url, sourceId);
    const target = openClient(url, targetId);
    consentToPairing(target);
    try {
      await Promise.all([whenConnected(source), whenConnected(target)]);
      await requestPairing(source, targetId);
      await unregister(source);
    } finally {
      source.disconnect();
      target.disconnect();
    }
  });
}
