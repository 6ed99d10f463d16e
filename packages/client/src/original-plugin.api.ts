import type { ListClientsFilter, P2pError } from 'nest-p2p-gateway-protocol';
import type { P2pClientEvents } from './p2p-client.events.js';
import { TypedEmitter } from './typed.emitter.js';

type Ack = (...args: unknown[]) => void;

/**
 * The original plugin's API (`registerP2pTarget`, `unregisterP2pTarget`, `emit2`, `emitP2p`, `getClientList`), with
 * its callbacks and its never-rejecting promises, written against five methods of the client: P2pClient extends it.
 */
export abstract class OriginalPluginApi extends TypedEmitter<P2pClientEvents> {
  abstract pair(targetId: string): Promise<void>;
  abstract unpair(): Promise<void>;
  abstract emit(event: string, ...args: unknown[]): boolean;
  abstract listClients(filter?: ListClientsFilter): Promise<string[]>;
  /** Relays `event(...args)` with an ack; resolves with every value the peer passed to its callback. */
  protected abstract relayWithAck(event: string, args: unknown[]): Promise<unknown[]>;

  /**
   * Original API. With callbacks: `onSuccess()` or `onFailure(error)` (without `onFailure`, the `error` event).
   * Without: resolves true or false, as the original did; the reason goes to the `error` event.
   */
  registerP2pTarget(
    targetId: string,
    _options?: object,
    onSuccess?: () => void,
    onFailure?: (error: P2pError) => void,
  ): Promise<boolean> | void {
    const attempt = this.pair(targetId).then(
      () => true,
      (error: P2pError) => {
        if (onFailure) onFailure(error);
        else this.emitLocal('error', error);
        return false;
      },
    );
    if (!onSuccess && !onFailure) return attempt;
    void attempt.then((paired) => paired && onSuccess?.());
  }

  /** Original API: leaves the current pairing. Never rejects; failures go to the `error` event. */
  unregisterP2pTarget(): Promise<void> {
    return this.unpair().catch((error: P2pError) => this.emitLocal('error', error));
  }

  /** Original API: `emit2(event, ...args[, ack])`; the ack gets every value the peer passed. */
  emit2(event: string, ...args: unknown[]): void {
    const ack = typeof args[args.length - 1] === 'function' ? (args.pop() as Ack) : undefined;
    if (!ack) {
      this.emit(event, ...args);
      return;
    }
    this.relayWithAck(event, args).then(
      (results) => ack(...results),
      (error: P2pError) => this.emitLocal('error', error),
    );
  }

  /** Original alias of `emit2`. */
  emitP2p(event: string, ...args: unknown[]): void {
    this.emit2(event, ...args);
  }

  /** Original API: `getClientList(cb)` or a promise of the connected clientIds. */
  getClientList(callback?: (clients: string[]) => void): Promise<string[]> | void {
    const listing = this.listClients();
    if (!callback) return listing;
    listing.then(callback, (error: P2pError) => this.emitLocal('error', error));
  }
}
