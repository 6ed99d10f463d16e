/** A Redis command not answered within its bound (Redis hangs, or the link to it does). */
export class CommandTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
    this.name = 'CommandTimeoutError';
  }
}

/**
 * `sent`, or a CommandTimeoutError once `timeoutMs` passed without its answer. When the timer fires, the I/O already
 * waiting is read first (`setImmediate` runs after the event loop's poll phase): on a busy event loop a timer fires
 * late, and the answer may be in already; it must win. The command itself is not withdrawn: Redis may still run it.
 */
export function withinCommandBound<T>(sent: Promise<T>, timeoutMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      setImmediate(() => {
        if (settled) return;
        settled = true;
        reject(new CommandTimeoutError(timeoutMs));
      });
    }, timeoutMs);
    sent.then(
      (value) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
