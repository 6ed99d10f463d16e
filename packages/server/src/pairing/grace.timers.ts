/** The reconnect-grace timers of the clients that dropped from this node, by their dropped connection id. */
export class GraceTimers {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  get size(): number {
    return this.timers.size;
  }

  has(connectionId: string): boolean {
    return this.timers.has(connectionId);
  }

  /** Runs `onEnd` once `ms` have passed, unless `stop(connectionId)` comes first. */
  start(connectionId: string, ms: number, onEnd: () => void): void {
    this.timers.set(connectionId, setTimeout(onEnd, ms));
  }

  /** Stops the timer of a dropped connection (its session came back); a no-op for any other connection. */
  stop(connectionId: string): void {
    clearTimeout(this.timers.get(connectionId));
    this.timers.delete(connectionId);
  }

  connectionIds(): string[] {
    return [...this.timers.keys()];
  }
}
