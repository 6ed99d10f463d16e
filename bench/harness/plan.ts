/** The measurements of a full run and of the short smoke run. */
import type { WorkloadSpec } from '../workloads.js';

export interface Measurement {
  /** Names the results in the JSON and the figures. */
  name: string;
  title: string;
  spec: WorkloadSpec;
  /** Measured on a freshly started server, so earlier workloads leave nothing in its memory figures. */
  freshServer?: boolean;
  /** Measured in the first rounds only: slow workloads whose figures move little between rounds. */
  rounds?: number;
  /** Left out of a run unless named in `--only` (a narrower copy of another measurement). */
  onRequest?: boolean;
  /** Also measured on the gateway with its metrics on, right beside the gateway without: the cost of the counters. */
  withMetrics?: boolean;
}

export interface Plan {
  rounds: number;
  measurements: Measurement[];
}

const PAIRS = 50;
const OFFERED_PER_SEC = 10_000;

function plan(rounds: number, warmupMs: number, measureMs: number, clientCounts: [number, number], clientRounds: number): Plan {
  const relay = (payloadBytes: number): WorkloadSpec => ({
    kind: 'relay',
    pairs: PAIRS,
    payloadBytes,
    offeredPerSec: OFFERED_PER_SEC,
    window: 16,
    warmupMs,
    measureMs,
  });
  const clients = (count: number): Measurement => ({
    name: `clients${count / 1000}k`,
    title: `${count} connected clients`,
    spec: { kind: 'clients', clients: count, concurrency: 100 },
    freshServer: true,
    rounds: clientRounds,
  });
  return {
    rounds,
    measurements: [
      { name: 'relay64', title: 'relay, 64 B', spec: relay(64), withMetrics: true },
      { name: 'relay1k', title: 'relay, 1 KB', spec: relay(1024), withMetrics: true },
      { name: 'ack', title: 'relay with ack, 64 B', spec: { kind: 'ack', pairs: PAIRS, payloadBytes: 64, window: 4, warmupMs, measureMs } },
      { name: 'handshakes', title: 'pairing handshakes', spec: { kind: 'handshakes', lanes: 64, measureMs } },
      // The pair + unpair half of `handshakes` alone (`--only pairunpair`): the store's hot path, in a few minutes.
      {
        name: 'pairunpair',
        title: 'pair + unpair, open sockets',
        spec: { kind: 'handshakes', lanes: 64, warmupMs, measureMs, pairUnpairOnly: true },
        onRequest: true,
      },
      clients(clientCounts[0]),
      clients(clientCounts[1]),
    ],
  };
}

/**
 * Many short rounds rather than a few long ones: on a shared machine, noise then hits both servers alike. An even count,
 * so that each server goes first in as many rounds as the other (run.ts alternates the order).
 */
export const FULL_PLAN = plan(10, 500, 2000, [5000, 10_000], 3);
export const SHORT_PLAN = plan(1, 300, 1000, [1000, 2000], 1);

/** How many measurements a plan makes, for the progress counter. */
export function stepsOf(plan: Plan): number {
  return plan.measurements.reduce((sum, m) => sum + (m.withMetrics ? 3 : 2) * Math.min(plan.rounds, m.rounds ?? plan.rounds), 0);
}

/** Caps client counts to what the open-file limit allows (each client holds a descriptor on both sides). */
export function fitToFileLimit(base: Plan, fileLimit: number): { plan: Plan; warning?: string } {
  const headroom = 1000;
  const most = Math.max(...base.measurements.map((m) => (m.spec.kind === 'clients' ? m.spec.clients : 0)));
  if (most + headroom <= fileLimit) return { plan: base };
  const cap = Math.max(1000, Math.floor((fileLimit - headroom) / 1000) * 1000);
  const measurements = base.measurements.map((m) =>
    m.spec.kind === 'clients' && m.spec.clients > cap
      ? { ...m, name: `clients${cap / 1000}k`, title: `${cap} connected clients`, spec: { ...m.spec, clients: cap } }
      : m,
  );
  const unique = measurements.filter((m, i) => measurements.findIndex((other) => other.name === m.name) === i);
  return {
    plan: { ...base, measurements: unique },
    warning: `ulimit -n is ${fileLimit}: client counts above ${cap} were capped (raise it with \`ulimit -n 20000\`)`,
  };
}
