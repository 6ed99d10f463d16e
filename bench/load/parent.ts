/** The load generator's line to the orchestrator: server stats on request, and progress lines. */
import type { LoadMessage, LoadReply, ServerStats } from '../ipc.js';

const waiting = new Map<number, (stats: ServerStats | null) => void>();
let nextId = 0;

if (process.send) {
  process.on('message', (message: LoadReply) => {
    if (message.type !== 'probe') return;
    waiting.get(message.id)?.(message.stats);
    waiting.delete(message.id);
  });
}

/** The driven server's memory (after GC when `gc`) and CPU time; null when run without the orchestrator. */
export function probeServer(gc: boolean): Promise<ServerStats | null> {
  const send = process.send?.bind(process);
  if (!send) return Promise.resolve(null);
  const id = nextId++;
  return new Promise((resolve) => {
    waiting.set(id, resolve);
    send({ type: 'probe', id, gc } satisfies LoadMessage);
  });
}

export function progress(text: string): void {
  if (process.send) process.send({ type: 'progress', text } satisfies LoadMessage);
  else process.stderr.write(`${text}\n`);
}
