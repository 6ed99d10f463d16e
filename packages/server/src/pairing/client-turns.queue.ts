/**
 * Runs each client's pairing steps (its requests, its answers) one after the other, in the order they came. Without
 * it, a request waiting on a hook (`canPair`, `discovery`) could be overtaken by the same client's answer sent after
 * it: an original client that consents at once to the request crossing its own would be paired by its consent, then
 * told SOURCE_BUSY by its own request. A client with no step under way runs at once (no extra turn of the event loop).
 */
export class ClientTurns {
  /**
   * Each client's last queued step (its result, settled or not), or undefined once that step has ended: the entry
   * stays for the client's next step rather than being deleted at once. Deleting and adding back one key per step made
   * the Map shrink and grow again, a new table each time, on the pairing hot path; idle entries are swept in bulk.
   */
  private readonly tails = new Map<string, Promise<unknown> | undefined>();
  private underWay = 0;
  private idle = 0;

  run<T>(clientId: string, step: () => Promise<T>): Promise<T> {
    const before = this.tails.get(clientId);
    if (before === undefined) {
      this.underWay++;
      if (this.tails.has(clientId)) this.idle--;
    }
    // The next step starts once the one before has ended, whether it resolved or threw (its caller sees that).
    const result = before ? before.then(step, step) : step();
    this.tails.set(clientId, result);
    // The one extra reaction per step: marks the client idle once its last step has ended. It also marks a rejection
    // as handled here; the caller, who has `result`, still sees it.
    const ended = (): void => {
      if (this.tails.get(clientId) !== result) return;
      this.tails.set(clientId, undefined);
      this.underWay--;
      if (++this.idle > IDLE_SWEEP_AT && this.idle > this.underWay) this.sweep();
    };
    result.then(ended, ended);
    return result;
  }

  /** Clients with a step under way (diagnostics: 0 when idle). */
  get size(): number {
    return this.underWay;
  }

  /** Entries kept, idle ones included (bounded: see IDLE_SWEEP_AT). */
  get entries(): number {
    return this.tails.size;
  }

  private sweep(): void {
    for (const [clientId, tail] of this.tails) if (tail === undefined) this.tails.delete(clientId);
    this.idle = 0;
  }
}

/**
 * Idle entries kept before a sweep removes them all (and once they outnumber the clients with a step under way):
 * memory stays bounded by the larger of this and twice the clients busy at once.
 */
const IDLE_SWEEP_AT = 1024;
