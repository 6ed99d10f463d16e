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
}

/** orchestrator -> server */
export type ServerRequest = { type: 'stats'; id: number; gc: boolean } | { type: 'exit' };

/** server -> orchestrator */
export type ServerReply = { type: 'stats'; id: number; stats: ServerStats };

/** load generator -> orchestrator */
export type LoadMessage = { type: 'probe'; id: number; gc: boolean } | { type: 'progress'; text: string };

/** orchestrator -> load generator */
export type LoadReply = { type: 'probe'; id: number; stats: ServerStats | null };
