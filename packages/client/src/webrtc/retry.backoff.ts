/** How `RetryBackoff` spaces attempts. */
export interface RetryBackoffOptions {
  /** @default 1000 */
  initialDelayMs?: number | undefined;
  /** @default 30000 */
  maxDelayMs?: number | undefined;
  /** @default 2 */
  factor?: number | undefined;
  /**
   * Each delay is spread by up to this fraction either way, so two peers that failed together do not retry in step.
   * @default 0.2
   */
  jitter?: number | undefined;
  /** Where the jitter comes from; a test passes its own. @default Math.random */
  random?: (() => number) | undefined;
}

/**
 * Exponential backoff for upgrade attempts: `schedule(attempt)` runs `attempt` after the next delay (initial, then
 * times `factor`, up to `maxDelayMs`, each with jitter); `reset()` starts again from the initial delay (call it once an
 * attempt succeeded); `cancel()` drops a scheduled attempt. At most one attempt is scheduled at a time.
 */
export class RetryBackoff {
  private readonly initialDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly factor: number;
  private readonly jitter: number;
  private readonly random: () => number;
  private failures = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: RetryBackoffOptions = {}) {
    this.initialDelayMs = options.initialDelayMs ?? 1_000;
    this.maxDelayMs = options.maxDelayMs ?? 30_000;
    this.factor = options.factor ?? 2;
    this.jitter = options.jitter ?? 0.2;
    this.random = options.random ?? Math.random;
    if (
      !(this.initialDelayMs >= 0) ||
      !(this.maxDelayMs >= this.initialDelayMs) ||
      !(this.factor >= 1) ||
      !(this.jitter >= 0 && this.jitter < 1)
    ) {
      throw new RangeError('RetryBackoff: needs 0 <= initialDelayMs <= maxDelayMs, factor >= 1 and 0 <= jitter < 1');
    }
  }

  /** Attempts that failed since the last reset. */
  get attempts(): number {
    return this.failures;
  }

  /** Whether an attempt is waiting to run. */
  get scheduled(): boolean {
    return this.timer !== undefined;
  }

  /** The delay before the next attempt, and counts it. */
  nextDelayMs(): number {
    const base = Math.min(this.maxDelayMs, this.initialDelayMs * this.factor ** this.failures);
    this.failures++;
    const spread = base * this.jitter * (2 * this.random() - 1);
    return Math.max(0, Math.min(this.maxDelayMs, Math.round(base + spread)));
  }

  /** Runs `attempt` after the next delay, replacing an attempt scheduled already. Returns the delay. */
  schedule(attempt: () => void): number {
    this.cancel();
    const delay = this.nextDelayMs();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      attempt();
    }, delay);
    // In Node, a pending retry alone must not keep the process alive.
    (this.timer as { unref?: () => void }).unref?.();
    return delay;
  }

  cancel(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  reset(): void {
    this.cancel();
    this.failures = 0;
  }
}
