import type { ClientRecord, PairingStore, RemovedClient } from '../stores/pairing-store.interface.js';

/** A store shared by several gateway nodes: it also tracks which nodes are alive. */
export interface ClusterPairingStore extends PairingStore {
  /** Marks `nodeId` alive for `ttlMs` more. True if it was listed already (false: new, or forgotten since). */
  heartbeat(nodeId: string, ttlMs: number): Promise<boolean>;
  /**
   * Removes the clients of every node whose liveness expired, once each across all sweepers, and returns them; a
   * client held for reconnect grace stays until its grace ran out.
   */
  sweepDeadNodes(): Promise<RemovedClient[]>;
  /**
   * Removes the clients of `nodeId` (a clean shutdown, or a restart clearing a previous life) and returns them. With
   * `keepHeld`, clients held for reconnect grace stay until their grace runs out (a draining node).
   */
  forgetNode(nodeId: string, options?: { keepHeld?: boolean }): Promise<RemovedClient[]>;
  /**
   * Writes back the record of a connection this node holds but the store lost (a write a Redis failover dropped):
   * nothing when the id is held; paired only when the peer's record names this client back, else free. Returns the
   * record as restored, or undefined. A store without it leaves lost records to the node's forgotten-connection path.
   */
  restoreClient?(record: ClientRecord): Promise<ClientRecord | undefined>;
}

export function isClusterPairingStore(store: PairingStore): store is ClusterPairingStore {
  const candidate = store as Partial<ClusterPairingStore>;
  return typeof candidate.heartbeat === 'function' && typeof candidate.sweepDeadNodes === 'function';
}
