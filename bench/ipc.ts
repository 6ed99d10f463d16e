/** Messages between the orchestrator (run.ts), the server processes and the load generator, over Node's IPC channel. */

/** What a server process reports about itself; memory is read after global.gc() when asked to. */
export interface ServerStats {
  rssBytes: number;
  heapUsedBytes: number;
  /** process.cpuUsage() user + system, in microseconds since the process started. */
  cpuMicros: number;
  /** Open TCP connections (not counting the listening socket). */
  openSockets: number;
  /** The monotonic clock in microseconds, the clock of `--cpu-prof` sample times. */
  clockMicros: number;
  /** With BENCH_LOOP_DELAY=1: the event loop's delay since the previous stats request (perf_hooks histogram). */
  loopDelay?: { p99Ms: number; maxMs: number };
}

/** orchestrator -> server */
export type ServerRequest = { type: 'stats'; id: number; gc: boolean } | { type: 'exit' };

/** server -> orchestrator */
export type ServerReply = { type: 'stats'; id: number; stats: ServerStats };

/** load generator -> orchestrator */
export type LoadMessage = { type: 'probe'; id: number; gc: boolean } | { type: 'progress'; text: string };

/** orchestrator -> load generator */
export type LoadReply = { type: 'probe'; id: number; stats: ServerStats | null };

// Between the soak / cluster orchestrators and a gateway node (gateway-node.ts), beside the probe's `stats` and `exit`.

/** What a gateway node holds, beyond memory: to tell whether everything a client left behind is gone again. */
export interface Inspection {
  /** V8 heap space sizes in use (bytes), read right after the probe's GC: code (JIT output) vs everything else. */
  heap: { codeBytes: number; otherBytes: number };
  /** process.getActiveResourcesInfo() by kind (ref'd handles and timers: 'Timeout', 'TCPSocketWrap', ...). */
  resources: Record<string, number>;
  /** Listeners on the namespace, its Socket.IO server, the engine.io server and the HTTP server, by emitter. */
  listeners: { namespace: number; server: number; engine: number; http: number };
  /** Connected sockets of the namespace; engine.io clients; adapter rooms and socket ids. */
  sockets: number;
  engineClients: number;
  rooms: number;
  sids: number;
  /** The store's view (this node's store; in a cluster the shared one). */
  store: { clients: number; pairings: number; pendingRequests: number };
  /** Maps of the library that hold timers or per-connection state; all should be empty with no clients. */
  internals: { openRequests: number; graceTimers: number; keptOutboxes: number; unsettledDepartures: number; pendingClusterAcks: number };
}

/** orchestrator -> gateway node */
export type NodeRequest = { type: 'inspect'; id: number } | { type: 'close' };

/** gateway node -> orchestrator */
export type NodeReply = { type: 'inspect'; id: number; inspection: Inspection };
