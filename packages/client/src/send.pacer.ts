import type { RelayRates } from 'nest-p2p-gateway-protocol';

/** The pacer stays this far under the server's rates: its byte count is an estimate, and clocks drift. */
const SAFETY = 0.9;

/**
 * The pacer's bursts are this share of the server's. The server counts a frame when it reads it, not when the client
 * sent it: frames that wait on the way (a busy event loop on either side, a slow link) reach it bunched, after its
 * bucket sat full and refilled nothing, while the client's own bucket went on refilling. A client burst `b` under the
 * server's `B` absorbs such a lag of up to `(B - b) / rate`: 1.7 s with the default 1,000 messages/s and bursts of
 * 2,000. With the server's whole burst, a fallback from a direct path right after a busy spell on the relay was
 * refused by the hundred (issue 20).
 */
const BURST_SHARE = 0.25;

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
 * buckets, a little under their rates and well under their bursts. One pacer per connection (the server keeps one set
 * of buckets per connection): every frame the pairing relays on it draws on the same pacer.
 */
export class SendPacer {
  private readonly messages?: Allowance;
  private readonly bytes?: Allowance;

  constructor(rates: RelayRates, now = Date.now()) {
    const { messages, bytes } = rates;
    if (messages) this.messages = new Allowance((messages.perSecond * SAFETY) / 1000, Math.max(1, messages.burst * BURST_SHARE), now);
    if (bytes) this.bytes = new Allowance((bytes.perSecond * SAFETY) / 1000, Math.max(1, bytes.burst * BURST_SHARE), now);
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
