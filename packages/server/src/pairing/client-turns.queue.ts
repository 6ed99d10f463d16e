/**
 * Runs each client's pairing steps (its requests, its answers) one after the other, in the order they came. Without
 * it, a request waiting on a hook (`canPair`, `discovery`) could be overtaken by the same client's answer sent after
 * it: an original client that consents at once to the request crossing its own would be paired by its consent, then
 * told SOURCE_BUSY by its own request. A client with no step under way runs at once (no extra turn of the event loop).
 */
export class ClientTurns {
  /** Each client's last queued step (its result, settled or not); removed once it is the last and has ended. */
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(clientId: string, step: () => Promise<T>): Promise<T> {
    const before = this.tails.get(clientId);
    // The next step starts once the one before has ended, whether it resolved or threw (its caller sees that).
    const result = before ? before.then(step, step) : step();
    this.tails.set(clientId, result);
    // The one extra reaction per step: forget the client once its last step has ended. It also marks a rejection as
    // handled here; the caller, who has `result`, still sees it.
    const forget = (): void => {
      if (this.tails.get(clientId) === result) this.tails.delete(clientId);
    };
    result.then(forget, forget);
    return result;
  }

  /** Clients with a step under way (diagnostics: 0 when idle). */
  get size(): number {
    return this.tails.size;
  }
}
