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
 * The refill rule of every token bucket (ConnectionLimits keeps its buckets as numeric fields): the tokens of a bucket
 * that held `tokens` when read at `at`, refilled to `now` at `perMs` up to `capacity`. Refilled lazily, when read, so
 * a bucket costs no timer. A clock that goes backwards refills nothing.
 */
export function refilledTokens(tokens: number, at: number, now: number, perMs: number, capacity: number): number {
  if (now <= at) return tokens;
  const refill = tokens + (now - at) * perMs;
  return refill < capacity ? refill : capacity;
}
