import type { RemovedClient } from '../stores/pairing-store.interface.js';
import type { ClusterPairingStore } from './cluster-store.interface.js';

export interface NodeLivenessOptions {
  nodeId: string;
  /** A node not heard from for this long is dead: its clients are removed and their peers told. */
  nodeTtlMs: number;
  /** Receives the clients removed from dead nodes (or from this node on shutdown). */
  onRemoved: (removed: RemovedClient[]) => void;
  onError: (error: unknown) => void;
}

/**
 * Keeps this node alive in the shared store and sweeps the clients of nodes that died without warning. Every node
 * sweeps; the store makes each removal happen once.
 */
export class NodeLiveness {
  private heartbeatTimer?: NodeJS.Timeout;
  private sweepTimer?: NodeJS.Timeout;
  /** No sweeping until this node's own heartbeat got through: after an outage every liveness key may be gone. */
  private sweepAfter = Number.POSITIVE_INFINITY;

  constructor(
    private readonly store: ClusterPairingStore,
    private readonly options: NodeLivenessOptions,
  ) {}

  start(): void {
    const { nodeTtlMs } = this.options;
    const beat = () => void this.heartbeat();
    beat();
    this.heartbeatTimer = setInterval(beat, Math.max(100, Math.floor(nodeTtlMs / 3)));
    this.sweepTimer = setInterval(() => void this.sweep(), Math.max(100, Math.floor(nodeTtlMs / 5)));
    this.heartbeatTimer.unref();
    this.sweepTimer.unref();
  }

  /** Stops the timers and removes this node's clients (their peers on other nodes are told). */
  async stop(): Promise<void> {
    clearInterval(this.heartbeatTimer);
    clearInterval(this.sweepTimer);
    this.heartbeatTimer = this.sweepTimer = undefined;
    try {
      this.report(await this.store.forgetNode(this.options.nodeId));
    } catch (error) {
      this.options.onError(error);
    }
  }

  private async heartbeat(): Promise<void> {
    try {
      await this.store.heartbeat(this.options.nodeId, this.options.nodeTtlMs);
      // After a gap (start, or the store coming back), give the other nodes one TTL to beat again before judging them.
      if (this.sweepAfter === Number.POSITIVE_INFINITY) this.sweepAfter = Date.now() + this.options.nodeTtlMs;
    } catch (error) {
      this.sweepAfter = Number.POSITIVE_INFINITY;
      this.options.onError(error);
    }
  }

  private async sweep(): Promise<void> {
    if (Date.now() < this.sweepAfter) return;
    try {
      this.report(await this.store.sweepDeadNodes());
    } catch (error) {
      this.options.onError(error);
    }
  }

  private report(removed: RemovedClient[]): void {
    if (removed.length > 0) this.options.onRemoved(removed);
  }
}
