/** What the orchestrator asks the load generator to run, and what each workload reports back. */

export interface RelaySpec {
  kind: 'relay';
  pairs: number;
  payloadBytes: number;
  /** Messages per second over all pairs in the fixed-rate phase; below either server's saturation. */
  offeredPerSec: number;
  /** Messages in flight per pair in the saturated phase. */
  window: number;
  warmupMs: number;
  measureMs: number;
}

export interface AckSpec {
  kind: 'ack';
  pairs: number;
  payloadBytes: number;
  /** Round trips in flight per pair. */
  window: number;
  warmupMs: number;
  measureMs: number;
}

export interface HandshakeSpec {
  kind: 'handshakes';
  /** Handshakes run concurrently, each lane one after the other. */
  lanes: number;
  measureMs: number;
  /** Only pair + unpair on open connections (the `pairunpair` measurement): no connect cycles, whose figures are null. */
  pairUnpairOnly?: boolean;
  /**
   * Pair + unpair cycles run first for this long, not measured: the server's JIT warms up on them, as the connect
   * cycles before it warm it in `handshakes` (and the relay workloads' own warm-up does for theirs).
   */
  warmupMs?: number;
}

export interface ClientsSpec {
  kind: 'clients';
  clients: number;
  /** Connections (then pairing requests) in flight at once. */
  concurrency: number;
}

export type WorkloadSpec = RelaySpec | AckSpec | HandshakeSpec | ClientsSpec;

export interface RelayResult {
  kind: 'relay';
  fixed: { offeredPerSec: number; deliveredPerSec: number; p50Ms: number; p99Ms: number; lost: number };
  max: {
    deliveredPerSec: number;
    p50Ms: number;
    p99Ms: number;
    cpuSecPerMillion: number | null;
    /** Server CPU time over wall time in the saturated phase: near 1 when the server, not the load, was the limit. */
    serverBusy: number | null;
    /** The load generator's own CPU time over wall time: near 1 when it was the limit. */
    loadBusy: number;
  };
  errors: number;
}

export interface AckResult {
  kind: 'ack';
  roundTripsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  cpuSecPerMillion: number | null;
  serverBusy: number | null;
  loadBusy: number;
  errors: number;
}

export interface HandshakeResult {
  kind: 'handshakes';
  /** connect two clients, pair, unpair, disconnect (null when only pair + unpair ran). */
  handshakesPerSec: number | null;
  /** pair then unpair on connections already open. */
  pairUnpairPerSec: number;
  /** Server CPU time over wall time in each phase. */
  handshakeServerBusy: number | null;
  pairUnpairServerBusy: number | null;
  handshakeLoadBusy: number | null;
  pairUnpairLoadBusy: number;
  /** Server CPU time per completed handshake / pair+unpair, in ms: what bounds the server when the load cannot. */
  handshakeServerCpuMs: number | null;
  pairUnpairServerCpuMs: number | null;
  errors: number;
}

export interface ClientsResult {
  kind: 'clients';
  clients: number;
  pairings: number;
  connectSec: number;
  pairSec: number;
  rssPerClientKb: number | null;
  heapPerClientKb: number | null;
  errors: number;
}

export type WorkloadResult = RelayResult | AckResult | HandshakeResult | ClientsResult;
