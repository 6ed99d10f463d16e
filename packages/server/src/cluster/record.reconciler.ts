import type { Namespace } from 'socket.io';
import type { P2pSocket } from '../connection/p2p-connection.state.js';
import type { ClientRecord } from '../stores/pairing-store.interface.js';
import type { ClusterPairingStore } from './cluster-store.interface.js';

/** How many connections one periodic round checks: bounds the reads a round adds to the store. */
export const RECONCILE_BATCH = 500;

/**
 * Finds the records of this node's connections that the store lost, and writes them back. Redis replicates to a
 * replica asynchronously: a primary killed a few milliseconds after a write may take the write with it, and the
 * replica that takes over never had it. A connection this node holds (connected, registered) whose record is gone is
 * such a loss; it is restored as registered, paired with the peer its cache names when that peer's record names it
 * back, else free (the peer resync then follows the store). A record held by another connection is never touched
 * (the id moved on). Checks every connection after a Redis outage, and a rotating batch of them periodically.
 */
export class RecordReconciler {
  /** Where the next periodic batch starts, among the connections in the namespace's order. */
  private cursor = 0;
  private running = false;

  constructor(
    private readonly namespace: Namespace,
    private readonly store: ClusterPairingStore,
  ) {}

  /** Checks every connection of this node; resolves to how many records were restored. */
  checkAll(): Promise<number> {
    return this.check([...this.namespace.sockets.values()] as P2pSocket[]);
  }

  /** Checks the next `RECONCILE_BATCH` connections (wrapping around); skipped while a check runs. */
  checkBatch(): Promise<number> {
    const sockets = [...this.namespace.sockets.values()] as P2pSocket[];
    if (this.cursor >= sockets.length) this.cursor = 0;
    const batch = sockets.slice(this.cursor, this.cursor + RECONCILE_BATCH);
    this.cursor += batch.length;
    return this.check(batch);
  }

  private async check(sockets: P2pSocket[]): Promise<number> {
    const restore = this.store.restoreClient?.bind(this.store);
    if (!restore || this.running) return 0;
    this.running = true;
    try {
      const restored = await Promise.all(
        sockets.map(async (socket) => {
          const conn = socket.data.p2p;
          if (!conn?.registration || socket.disconnected) return 0;
          if ((await this.store.getClient(conn.clientId)) !== undefined) return 0;
          // Gone while the record was read: it left (its removal deleted the record), nothing was lost.
          if (socket.disconnected) return 0;
          const peer = conn.peer;
          const state: ClientRecord['state'] = peer ? { kind: 'paired', peerId: peer.clientId, since: Date.now() } : { kind: 'free' };
          if (!(await restore({ ...conn.registration, state }))) return 0;
          // It left meanwhile, its removal maybe before the restore: undone, so no record outlives its connection.
          if (socket.disconnected) await this.store.removeClient(conn.clientId, socket.id);
          return 1;
        }),
      );
      return restored.reduce<number>((sum, n) => sum + n, 0);
    } finally {
      this.running = false;
    }
  }
}
