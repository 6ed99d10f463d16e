import type { HeldRelay, P2pConnection } from '../connection/p2p-connection.state.js';

/**
 * What dropped connections held for their peers (relays the peer was away for), kept through the reconnect grace by
 * the dropped connection's id, for the connection its session resumes on. They run on no timer of their own: the
 * pairing engine's grace timer is the one clock of a grace, and it tells the transport when a grace ended
 * (`ClientTransport.graceEnded`), which forgets what was kept for it.
 */
export class GraceOutboxes {
  private readonly kept = new Map<string, HeldRelay[]>();

  /** How many dropped connections have relays kept (diagnostics: 0 once every grace ended). */
  get size(): number {
    return this.kept.size;
  }

  /** Keeps what `conn` held for its peer, by its connection id (it dropped, or closes for a newer one of its session). */
  keep(connectionId: string, conn: P2pConnection): void {
    if (!conn.outbox) return;
    this.kept.set(connectionId, conn.outbox);
    conn.outbox = undefined;
  }

  /** Takes what was kept for `previousConnectionId`, for the connection its session resumed on. */
  take(previousConnectionId: string): HeldRelay[] | undefined {
    const kept = this.kept.get(previousConnectionId);
    this.kept.delete(previousConnectionId);
    return kept;
  }

  /** The grace of `connectionId` ended without its session coming back here: what was kept for it goes. */
  forget(connectionId: string): void {
    this.kept.delete(connectionId);
  }
}
