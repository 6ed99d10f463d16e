/**
 * The reliable channel's flow-control waiters: `drained()` for room in the send window, `confirmed()` for the peer to
 * confirm everything sent (unpair). Woken as the channel drains or confirms, and all of them when it ends.
 */
export class FlowControlWaiters {
  private readonly drainWaiters: Array<() => void> = [];
  /** Waiters for every message of this side to be confirmed (unpair), woken as the channel confirms or ends. */
  private readonly confirmedWaiters: Array<() => void> = [];

  /** Resolves at the channel's next drain, or when it ends. */
  drained(): Promise<void> {
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** Resolves once the peer confirmed everything sent so far, or after `timeoutMs`, or when the pairing ends. */
  confirmed(channel: { readonly unconfirmed: number } | undefined, timeoutMs: number): Promise<void> {
    if (!channel || channel.unconfirmed === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      const waiters = this.confirmedWaiters;
      function done(): void {
        clearTimeout(timer);
        const at = waiters.indexOf(done);
        if (at >= 0) waiters.splice(at, 1);
        resolve();
      }
      waiters.push(done);
    });
  }

  /** The unconfirmed messages are back within the window, or the channel ended: wakes every `drained()`. */
  wakeDrained(): void {
    for (const resolve of this.drainWaiters.splice(0)) resolve();
  }

  /** The peer confirmed everything, or the channel ended: wakes every `confirmed()`. */
  wakeConfirmed(): void {
    for (const done of this.confirmedWaiters.slice()) done();
  }
}
