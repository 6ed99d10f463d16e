/**
 * A store call that did not reach Redis or lost its connection: the change it asked for did not happen, or (the
 * connection dropped after the command left) its outcome is unknown. Errors Redis itself replied pass through as they
 * are (ioredis ReplyError).
 */
export class RedisStoreUnavailableError extends Error {
  readonly code = 'STORE_UNAVAILABLE';

  constructor(operation: string, reason: string, options?: { cause?: unknown }) {
    super(`Redis pairing store: ${operation} failed, Redis is unavailable (${reason})`, options);
    this.name = 'RedisStoreUnavailableError';
  }
}
