/**
 * Preloaded into each server process by the benchmark (`node --expose-gc --import server-probe.js server.js`): answers
 * the orchestrator's IPC requests for memory (after a full GC) and CPU time, and exits cleanly on request so that
 * `--cpu-prof` can write its profile. Nothing of it reaches the library or the sample app.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { ServerRequest, ServerStats } from './ipc.js';

// BENCH_LOOP_DELAY=1 (bench:scale): how late the event loop ran its timers, between one stats request and the next.
const loopDelay = process.env.BENCH_LOOP_DELAY === '1' ? monitorEventLoopDelay({ resolution: 10 }) : undefined;
loopDelay?.enable();

function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return;
  // Twice: the first pass can leave objects that only the second, with their finalizers run, frees.
  gc();
  gc();
}

function readStats(gc: boolean): ServerStats {
  const cpu = process.cpuUsage();
  if (gc) collectGarbage();
  const memory = process.memoryUsage();
  const openSockets = process.getActiveResourcesInfo().filter((kind) => kind === 'TCPSocketWrap').length;
  const clockMicros = Number(process.hrtime.bigint() / 1000n);
  const stats: ServerStats = {
    rssBytes: memory.rss,
    heapUsedBytes: memory.heapUsed,
    cpuMicros: cpu.user + cpu.system,
    openSockets,
    clockMicros,
  };
  if (loopDelay) {
    stats.loopDelay = { p99Ms: loopDelay.percentile(99) / 1e6, maxMs: loopDelay.max / 1e6 };
    loopDelay.reset();
  }
  return stats;
}

if (process.send) {
  process.on('message', (message: ServerRequest) => {
    if (message.type === 'exit') process.exit(0);
    if (message.type === 'stats') process.send?.({ type: 'stats', id: message.id, stats: readStats(message.gc) });
  });
}
