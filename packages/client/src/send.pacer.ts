import type { RelayRates } from 'nest-p2p-gateway-protocol';

/** The pacer stays this far under the server's rates: its byte count is an estimate, and clocks drift. */
const SAFETY = 0.9;

class Allowance {
  private tokens: number;
  private last: number;

  constructor(
    private readonly perMs: number,
    private readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.last = now;
  }

  /** Milliseconds until `amount` is available (0: now). */
  waitFor(amount: number, now: number): number {
    this.tokens = Math.min(this.burst, this.tokens + (now - this.last) * this.perMs);
    this.last = now;
    const needed = Math.min(amount, this.burst) - this.tokens;
    return needed <= 0 ? 0 : Math.ceil(needed / this.perMs);
  }

  spend(amount: number): void {
    this.tokens -= amount;
  }
}

/**
 * Keeps the reliable channel's frames within the relay rates the server announced (`P2P_SESSION`): a frame over a
 * rate would be refused with RATE_LIMITED, and enough of those close the connection. Mirrors the server's token
 * buckets, a little under them.
 */
export class SendPacer {
  private readonly messages?: Allowance;
  private readonly bytes?: Allowance;

  constructor(rates: RelayRates, now = Date.now()) {
    const { messages, bytes } = rates;
    if (messages) this.messages = new Allowance((messages.perSecond * SAFETY) / 1000, messages.burst * SAFETY, now);
    if (bytes) this.bytes = new Allowance((bytes.perSecond * SAFETY) / 1000, bytes.burst * SAFETY, now);
  }

  /** Milliseconds to wait before a frame of `bytes` may go; 0 means it may go now, and its share is taken. */
  take(bytes: number, now = Date.now()): number {
    const wait = Math.max(this.messages?.waitFor(1, now) ?? 0, this.bytes?.waitFor(bytes, now) ?? 0);
    if (wait > 0) return wait;
    this.messages?.spend(1);
    this.bytes?.spend(bytes);
    return 0;
  }

  /** A control frame (acknowledgement, sync) went out: it counts against the rates but never waits. */
  spend(bytes: number): void {
    this.messages?.spend(1);
    this.bytes?.spend(bytes);
  }
}
