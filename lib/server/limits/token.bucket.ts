/** Milliseconds from one monotonic clock. */
export interface LimitsClock {
  now(): number;
}

/**
 * The clock every connection's limits read (`performance.now()`). It is an object so that the rate-limit tests can
 * step time by hand (test/support/limits-clock.ts) instead of sleeping through refills on a busy machine.
 */
export const limitsClock: LimitsClock = { now: () => performance.now() };

/**
 * The refill rule of every bucket: the tokens of a bucket that held `tokens` when read at `at`, refilled to `now` at
 * `perMs` up to `capacity`. A clock that goes backwards refills nothing.
 */
export function refilledTokens(tokens: number, at: number, now: number, perMs: number, capacity: number): number {
  if (now <= at) return tokens;
  const refill = tokens + (now - at) * perMs;
  return refill < capacity ? refill : capacity;
}

/**
 * A token bucket refilled lazily: tokens are added when it is read, from the time elapsed since the last read, so a
 * bucket costs no timer. Times are milliseconds from one monotonic clock (`limitsClock`).
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly perMs: number,
    readonly capacity: number,
    now: number,
  ) {
    this.tokens = capacity;
    this.last = now;
  }

  /** The tokens available at `now`, after refilling. */
  available(now: number): number {
    if (now > this.last) {
      this.tokens = refilledTokens(this.tokens, this.last, now, this.perMs, this.capacity);
      this.last = now;
    }
    return this.tokens;
  }

  /** Removes `amount` tokens; call after `available` said there were enough. */
  spend(amount: number): void {
    this.tokens -= amount;
  }

  /** Takes `amount` tokens if there are that many; false (and nothing taken) otherwise. */
  take(amount: number, now: number): boolean {
    if (this.available(now) < amount) return false;
    this.tokens -= amount;
    return true;
  }
}
