/** Waiting on a benchmark's child process (forked with IPC) for one message of a given type. */
import type { ChildProcess } from 'node:child_process';

/** The next IPC message of `type` from `child`; rejects if the child exits first. */
export function nextMessage<M extends { type: string }>(child: ChildProcess, type: string): Promise<M> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => {
      child.off('message', onMessage);
      reject(new Error(`the child process exited (${code}) before ${type}`));
    };
    const onMessage = (message: M) => {
      if (message.type !== type) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(message);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}
