import type { PairingStore, RemovedClient } from '../stores/pairing-store.interface.js';

/** A store shared by several gateway nodes: it also tracks which nodes are alive. */
export interface ClusterPairingStore extends PairingStore {
  /** Marks `nodeId` alive for `ttlMs` more. True if it was listed already (false: new, or forgotten since). */
  heartbeat(nodeId: string, ttlMs: number): Promise<boolean>;
  /** Removes the clients of every node whose liveness expired, once each across all sweepers, and returns them. */
  sweepDeadNodes(): Promise<RemovedClient[]>;
  /** Removes the clients of `nodeId` (a clean shutdown) and returns them. */
  forgetNode(nodeId: string): Promise<RemovedClient[]>;
}

export function isClusterPairingStore(store: PairingStore): store is ClusterPairingStore {
  const candidate = store as Partial<ClusterPairingStore>;
  return typeof candidate.heartbeat === 'function' && typeof candidate.sweepDeadNodes === 'function';
}
