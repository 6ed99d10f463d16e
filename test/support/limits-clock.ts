import { limitsClock } from '../../packages/server/src/limits/token.bucket.js';

/**
 * Stops the clock the gateway's rate limits read: from now on their buckets refill only when the test calls
 * `advance(ms)`, so a rate-limit test decides what is refused by the tokens it spends, not by how fast a busy machine
 * runs. `restore()` (in afterEach) gives the limits the real clock back.
 */
export function freezeLimitsClock(): { advance(ms: number): void; restore(): void } {
  const real = limitsClock.now;
  let now = real();
  limitsClock.now = () => now;
  return {
    advance(ms: number) {
      now += ms;
    },
    restore() {
      limitsClock.now = real;
    },
  };
}
