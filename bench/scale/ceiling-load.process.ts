/**
 * One bench:scale load process seen from the orchestrator: started through runLoadProcess, asked to run one phase at
 * a time (`phase`), each answered by the outcome it reports, and closed (it exits, dropping its clients at once).
 */
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runLoadProcess } from '../harness/load-process.js';
import type { CeilingLoadArgs, CeilingOutcome, CeilingPhaseDone, CeilingRequest } from './ceiling-types.js';

const SCRIPT = fileURLToPath(new URL('./ceiling-load.js', import.meta.url));
/** The whole run's bound: 100k clients take minutes to connect on a loaded machine. */
const PROCESS_TIMEOUT_MS = 60 * 60_000;

export class CeilingLoadProcess {
  private child?: ChildProcess;
  private pending?: { resolve: (outcome: CeilingOutcome) => void; reject: (error: Error) => void };
  private failure?: Error;
  private readonly exited: Promise<unknown>;

  constructor(args: CeilingLoadArgs, onProgress: (text: string) => void, nodeFlags: string[]) {
    this.exited = runLoadProcess<{ ok: boolean }>(SCRIPT, [JSON.stringify(args)], {
      probe: () => Promise.resolve(null),
      onProgress,
      onMessage: (message) => {
        if (message.type !== 'phase-done') return;
        const done = message as CeilingPhaseDone;
        const pending = this.pending;
        this.pending = undefined;
        if (done.error) pending?.reject(new Error(`${done.phase}: ${done.error}`));
        else pending?.resolve(done.outcome);
      },
      timeoutMs: PROCESS_TIMEOUT_MS,
      nodeFlags,
      onSpawn: (child) => (this.child = child),
    });
    // A process that dies mid-phase fails that phase (and every later one) rather than leaving it waiting.
    this.exited.catch((error: Error) => {
      this.failure = error;
      this.pending?.reject(error);
      this.pending = undefined;
    });
  }

  /** Runs one phase; resolves with what the process reports. */
  phase<T extends CeilingOutcome>(request: Exclude<CeilingRequest, { type: 'close' }>): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.pending) return Promise.reject(new Error(`a phase is already running; ${request.type} not started`));
    const child = this.child;
    if (!child?.connected) return Promise.reject(new Error(`the load process is not running; ${request.type} not started`));
    return new Promise<T>((resolve, reject) => {
      this.pending = { resolve: resolve as (outcome: CeilingOutcome) => void, reject };
      child.send(request);
    });
  }

  /** Asks the process to exit and waits until it has (a failed one is already gone). */
  async close(): Promise<void> {
    if (this.child?.connected) this.child.send({ type: 'close' } satisfies CeilingRequest);
    await this.exited.catch(() => undefined);
  }
}
