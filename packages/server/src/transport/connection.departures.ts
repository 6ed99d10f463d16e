import { P2pDisconnectReason } from 'nest-p2p-gateway-protocol';
import type { PairingEngine } from '../pairing/pairing.engine.js';
import { isStoreUnavailable } from '../stores/pairing-store.interface.js';
import { reportFailure } from '../logging/gateway.logger.js';
import type { P2pSocket } from '../connection/p2p-connection.state.js';

/**
 * Records in the store that connections went: a drop (the engine decides on reconnect grace) or a leave. A cluster node
 * keeps the departures the store could not record while Redis was away and tries them again at each heartbeat; while
 * the node drains, every departure is tracked for the drain to await.
 */
export class ConnectionDepartures {
  /** Cluster: departures the store could not record while Redis was away, by connection id; retried at each heartbeat. */
  private readonly unsettled = new Map<string, string>();
  /** Departures recorded while draining, awaited before the node lets go of the store. */
  private readonly draining: Promise<unknown>[] = [];

  constructor(
    private readonly engine: PairingEngine,
    /** Whether departures the store could not record are retried (a cluster node: its heartbeat retries them). */
    private readonly retried: boolean,
    /** A departure settled for good without the engine (it failed): the grace of that connection is over. */
    private readonly graceEnded: (connectionId: string) => void,
  ) {}

  /** How many departures wait for a retry (diagnostics: 0 once Redis answered again). */
  get unsettledCount(): number {
    return this.unsettled.size;
  }

  /** A connection went: recorded as a drop (with reconnect grace) or a leave; tracked when `tracked` (a drain). */
  record(clientId: string, connectionId: string, dropped: boolean, tracked: boolean): void {
    const departure = this.engine[dropped ? 'drop' : 'leave'](clientId, connectionId, P2pDisconnectReason.DISCONNECTED).catch(
      (cause: unknown) => this.departureFailed(clientId, connectionId, cause),
    );
    if (tracked) this.draining.push(departure);
  }

  /** Every departure tracked during the drain, settled. */
  drained(): Promise<unknown> {
    return Promise.allSettled(this.draining);
  }

  /**
   * A connection that stayed over its buffered-bytes bound: it leaves at once (its peer gets
   * `P2P_DISCONNECT(clientId, 'SLOW_CONSUMER')`, not a reconnect grace), then the socket is closed.
   */
  closeSlowConsumer(socket: P2pSocket): void {
    const { clientId } = socket.data.p2p;
    this.engine
      .leave(clientId, socket.id, P2pDisconnectReason.SLOW_CONSUMER)
      .catch((cause: unknown) => reportFailure('slow consumer', cause))
      .finally(() => socket.disconnect(true));
  }

  private departureFailed(clientId: string, connectionId: string, cause: unknown): void {
    // Left alone, the record would outlive its connection on a live node (no sweep): the id stuck, the peer never told.
    if (this.retried && isStoreUnavailable(cause)) return void this.unsettled.set(connectionId, clientId);
    reportFailure('disconnect', cause);
    this.graceEnded(connectionId);
  }

  /** Tries the unsettled departures again (after a heartbeat got through). */
  retry(): void {
    for (const [connectionId, clientId] of this.unsettled) {
      this.engine.leave(clientId, connectionId, P2pDisconnectReason.DISCONNECTED).then(
        () => this.settled(connectionId),
        (cause: unknown) => {
          if (isStoreUnavailable(cause)) return;
          this.settled(connectionId);
          reportFailure('disconnect', cause);
        },
      );
    }
  }

  private settled(connectionId: string): void {
    this.unsettled.delete(connectionId);
    this.graceEnded(connectionId);
  }
}
