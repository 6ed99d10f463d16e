/**
 * Runs each client's pairing steps (its requests, its answers) one after the other, in the order they came. Without
 * it, a request waiting on a hook (`canPair`, `discovery`) could be overtaken by the same client's answer sent after
 * it: an original client that consents at once to the request crossing its own would be paired by its consent, then
 * told SOURCE_BUSY by its own request. A client with no step under way runs at once (no extra turn of the event loop).
 */
export class ClientTurns {
  /** The end of each client's last queued step; removed once it is the last and has ended. */
  private readonly tails = new Map<string, Promise<void>>();

  run<T>(clientId: string, step: () => Promise<T>): Promise<T> {
    const before = this.tails.get(clientId);
    const result = before ? before.then(step) : step();
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(clientId, tail);
    void tail.then(() => {
      if (this.tails.get(clientId) === tail) this.tails.delete(clientId);
    });
    return result;
  }

  /** Clients with a step under way (diagnostics: 0 when idle). */
  get size(): number {
    return this.tails.size;
  }
}
