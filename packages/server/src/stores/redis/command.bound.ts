import { RedisStoreUnavailableError } from './redis-store-unavailable.error.js';

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

/** Client states in which the connection is known lost: calls fail at once instead of waiting in the offline queue. */
const LOST = new Set(['close', 'reconnecting', 'disconnecting', 'end']);

/**
 * Replies of a Redis Cluster whose slot is not served right now (a shard failing over, a slot moving, a node still
 * loading or read-only): the command did not run. STORE_UNAVAILABLE, like a lost connection, so callers retry; any
 * other reply error (a script's own) passes through.
 */
const SLOT_UNAVAILABLE = /^(CLUSTERDOWN|TRYAGAIN|MOVED|ASK|READONLY|MASTERDOWN|LOADING)\b/;

/**
 * One call of a Redis store (`operation`, for the error): at once STORE_UNAVAILABLE while the client's connection
 * (`status`) is lost; otherwise `send()` within `timeoutMs`, any failure but a script's own reply error turned into
 * STORE_UNAVAILABLE (RedisStoreUnavailableError). Shared by both Redis stores.
 */
export async function storeCall<T>(status: string, operation: string, timeoutMs: number, send: () => Promise<T>): Promise<T> {
  if (LOST.has(status)) throw new RedisStoreUnavailableError(operation, `connection ${status}`);
  try {
    return await withinCommandBound(send(), timeoutMs);
  } catch (error) {
    if ((error as Error | undefined)?.name === 'ReplyError' && !SLOT_UNAVAILABLE.test((error as Error).message)) throw error;
    throw new RedisStoreUnavailableError(operation, (error as Error | undefined)?.message ?? String(error), { cause: error });
  }
}
