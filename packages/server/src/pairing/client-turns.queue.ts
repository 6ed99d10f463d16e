/**
 * Runs each client's pairing steps (its requests, its answers) one after the other, in the order they came. Without
 * it, a request waiting on a hook (`canPair`, `discovery`) could be overtaken by the same client's answer sent after
 * it: an original client that consents at once to the request crossing its own would be paired by its consent, then
 * told SOURCE_BUSY by its own request. A client with no step under way runs at once (no extra turn of the event loop),
 * and a step that ends synchronously leaves nothing behind.
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

  /** A step of some client is running its synchronous part right now (see `run`). */
  private stepping = false;

  /**
   * Runs `step` for `clientId` once the client's earlier steps have ended. A step that ends synchronously (the
   * in-memory store answers at once) returns its value as is: no promise, no entry, no turn of the microtask queue.
   */
  run<T>(clientId: string, step: () => T | Promise<T>): T | Promise<T> {
    // Called from inside a running step (a lifecycle event's subscriber acting at once): it waits for that step's
    // synchronous part to end, then takes its turn as any other call would.
    if (this.stepping) return Promise.resolve().then(() => this.run(clientId, step));
    const before = this.tails.get(clientId);
    // The next step starts once the one before has ended, whether it resolved or threw (its caller sees that).
    if (before !== undefined) return this.follow(clientId, before.then(step, step), false);
    this.stepping = true;
    let result: T | Promise<T>;
    try {
      result = step();
    } finally {
      this.stepping = false;
    }
    return result instanceof Promise ? this.follow(clientId, result as Promise<T>, true) : result;
  }

  /** Makes `result` the client's last step until it ends; `fresh`: the client had no step under way before it. */
  private follow<T>(clientId: string, result: Promise<T>, fresh: boolean): Promise<T> {
    if (fresh) {
      this.underWay++;
      if (this.tails.has(clientId)) this.idle--;
    }
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
