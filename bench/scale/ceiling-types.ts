/** What bench:scale's orchestrator (one-node-ceiling.ts) and its load processes (ceiling-load.ts) say to each other. */

/** A load process's share of the clients: ids `${prefix}-${first}` .. `${prefix}-${first + count - 1}`, pairs inside. */
export interface CeilingLoadArgs {
  url: string;
  prefix: string;
  /** Even, and `count` even, so each pair (2p, 2p+1) has both its clients in one process: one clock for latency. */
  first: number;
  count: number;
  /** Source addresses (127.0.0.x); client i connects from addresses[i % addresses.length]. */
  addresses: string[];
  /** Connections (then pairing requests) in flight at once in this process. */
  concurrency: number;
}

/** orchestrator -> load process: run one phase, answered by a `CeilingPhaseDone`. */
export type CeilingRequest =
  { type: 'warm' } | { type: 'connect' } | { type: 'pair' } | { type: 'relay'; perSec: number; seconds: number } | { type: 'close' };

export interface ConnectOutcome {
  connected: number;
  errors: number;
  /** Connected clients by the source address the kernel actually bound (proves `localAddress` got through). */
  bySource: Record<string, number>;
}

export interface PairOutcome {
  pairings: number;
  errors: number;
}

export interface RelayOutcome {
  sent: number;
  delivered: number;
  /** One-way latency of every delivered relay, sender to peer, in ms. */
  latenciesMs: number[];
  /** Clients that lost their connection since they connected. */
  disconnects: number;
  /** The load process's own RSS after the phase: what the clients' side needs (socket.io-client is heavier). */
  rssBytes: number;
}

export type CeilingOutcome = ConnectOutcome | PairOutcome | RelayOutcome | Record<string, never>;

/** load process -> orchestrator */
export interface CeilingPhaseDone {
  type: 'phase-done';
  phase: CeilingRequest['type'];
  outcome: CeilingOutcome;
  /** Set when the phase threw. */
  error?: string;
}
