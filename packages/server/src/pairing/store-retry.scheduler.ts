import { isStoreUnavailable } from '../stores/pairing-store.interface.js';

/** How soon a timer's store update (a request's expiry, a grace's end) is tried again while Redis is away. */
export const STORE_RETRY_MS = 1_000;

/**
 * Runs the store updates of timers. While the store cannot be reached (Redis away, a shard failing over) an update is
 * tried again every second: given up, a request or a held client would stay reserved in the store for good. Anything
 * else is dropped. After `close()`, nothing is tried again.
 */
export class StoreRetryScheduler {
  private closed = false;

  run(update: () => Promise<unknown>): void {
    update().catch((cause: unknown) => {
      if (this.closed || !isStoreUnavailable(cause)) return;
      setTimeout(() => this.run(update), STORE_RETRY_MS).unref();
    });
  }

  /** `run(update)` in `delayMs`, without holding the process open. */
  later(delayMs: number, update: () => Promise<unknown>): void {
    if (!this.closed) setTimeout(() => this.run(update), delayMs).unref();
  }

  close(): void {
    this.closed = true;
  }
}
