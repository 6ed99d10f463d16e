/** What the soak orchestrator asks of its load generator, and what the load reports back. */

export interface SoakSpec {
  durationMs: number;
  /** Pairs of clients living at once, each slot running one session after another. */
  slots: number;
  /** Fire-and-forget relays per second from each side of a pair. */
  relayPerSec: number;
  /** Relays with ack per second from the source of a pair. */
  ackPerSec: number;
  /** A session relays for a random time in this range (ms) before it ends. */
  relayMs: [number, number];
  /** Chance that a session drops one side's transport (and resumes) while relaying. */
  dropChance: number;
  /** The server's reconnect grace: how long a vanished client is waited for. */
  graceMs: number;
}

export type Ending = 'unpair' | 'leave' | 'vanish';

export interface SoakCounters {
  sessions: number;
  /** Sessions by how they ended. */
  endings: Record<Ending, number>;
  connections: number;
  pairings: number;
  /** Pairing attempts the load expects to fail with a code (refused, offline target), that did. */
  expectedRefusals: number;
  listCalls: number;
  relaysSent: number;
  relaysReceived: number;
  acksOk: number;
  /** Relays with ack rejected, by code: each is also an error (the reliable channel answers them across drops). */
  acksRejected: Record<string, number>;
  /** Messages a P2pClient reported `undelivered` when its pairing ended (see soak-session: confirmations lost). */
  undeliveredReported: number;
  drops: number;
  resumes: number;
  /** Unexpected outcomes; `errorSamples` keeps the first few. */
  errors: number;
  errorSamples: string[];
}

/** soak load -> orchestrator, beside bench/ipc.ts's LoadMessage. */
export type SoakLoadMessage = { type: 'counters'; counters: SoakCounters };

export function emptyCounters(): SoakCounters {
  return {
    sessions: 0,
    endings: { unpair: 0, leave: 0, vanish: 0 },
    connections: 0,
    pairings: 0,
    expectedRefusals: 0,
    listCalls: 0,
    relaysSent: 0,
    relaysReceived: 0,
    acksOk: 0,
    acksRejected: {},
    undeliveredReported: 0,
    drops: 0,
    resumes: 0,
    errors: 0,
    errorSamples: [],
  };
}
