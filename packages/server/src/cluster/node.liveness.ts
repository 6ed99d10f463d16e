import type { RemovedClient } from '../stores/pairing-store.interface.js';
import type { ClusterPairingStore } from './cluster-store.interface.js';

export interface NodeLivenessOptions {
  nodeId: string;
  /** A node not heard from for this long is dead: its clients are removed and their peers told. */
  nodeTtlMs: number;
  /** Receives the clients removed from dead nodes (or from this node on shutdown). */
  onRemoved: (removed: RemovedClient[]) => void;
  /**
   * The store no longer knew this node although it had before: Redis lost its data (a restart), or the other nodes
   * swept this one while it could not reach Redis. Its connections are registered nowhere any more. Retried at the
   * next heartbeat while it rejects.
   */
  onForgotten: () => Promise<void>;
  /** A failure talking to the store; called once per outage (again only after a success), not at every attempt. */
  onError: (error: unknown) => void;
  /**
   * The store answers again after failures reported through onError. `forgotten`: it no longer knew this node (its
   * connections are then closed through onForgotten rather than written back).
   */
  onRecovered?: (forgotten: boolean) => void;
  /** After each heartbeat that got through; `forgotten` as for onRecovered. */
  onHeartbeat?: (forgotten: boolean) => void;
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
  /** Whether a heartbeat of this life got through already (from then on, being unlisted means being forgotten). */
  private listed = false;
  private forgotten = false;
  private failing = false;

  constructor(
    private readonly store: ClusterPairingStore,
    private readonly options: NodeLivenessOptions,
  ) {}

  /**
   * Forgets the clients a previous life of this nodeId left (a node restarted under a fixed id before its TTL ran
   * out would otherwise keep them alive for good), sends the first heartbeat, then keeps beating and sweeping. To be
   * awaited before the node admits clients.
   */
  async start(): Promise<void> {
    const { nodeTtlMs, nodeId } = this.options;
    try {
      this.report(await this.store.forgetNode(nodeId));
    } catch (error) {
      this.fail(error);
    }
    await this.heartbeat();
    const beat = () => void this.heartbeat();
    this.heartbeatTimer = setInterval(beat, Math.max(100, Math.floor(nodeTtlMs / 3)));
    this.sweepTimer = setInterval(() => void this.sweep(), Math.max(100, Math.floor(nodeTtlMs / 5)));
    this.heartbeatTimer.unref();
    this.sweepTimer.unref();
  }

  /**
   * Stops the timers and removes this node's clients (their peers on other nodes are told). With `keepHeld` (a drain),
   * the clients held for reconnect grace stay in the store for their sessions to come back on another node.
   */
  async stop(options: { keepHeld?: boolean } = {}): Promise<void> {
    clearInterval(this.heartbeatTimer);
    clearInterval(this.sweepTimer);
    this.heartbeatTimer = this.sweepTimer = undefined;
    try {
      this.report(await this.store.forgetNode(this.options.nodeId, options));
    } catch (error) {
      this.fail(error);
    }
  }

  private async heartbeat(): Promise<void> {
    let wasListed: boolean;
    try {
      wasListed = await this.store.heartbeat(this.options.nodeId, this.options.nodeTtlMs);
    } catch (error) {
      this.sweepAfter = Number.POSITIVE_INFINITY;
      this.fail(error);
      return;
    }
    // After a gap (start, or the store coming back), give the other nodes one TTL to beat again before judging them.
    if (this.sweepAfter === Number.POSITIVE_INFINITY) this.sweepAfter = Date.now() + this.options.nodeTtlMs;
    if (!wasListed && this.listed) this.forgotten = true;
    this.listed = true;
    this.succeed();
    this.options.onHeartbeat?.(this.forgotten);
    if (!this.forgotten) return;
    try {
      await this.options.onForgotten();
      this.forgotten = false;
    } catch (error) {
      this.fail(error);
    }
  }

  private async sweep(): Promise<void> {
    if (Date.now() < this.sweepAfter) return;
    try {
      this.report(await this.store.sweepDeadNodes());
      this.succeed();
    } catch (error) {
      this.fail(error);
    }
  }

  private report(removed: RemovedClient[]): void {
    if (removed.length > 0) this.options.onRemoved(removed);
  }

  private fail(error: unknown): void {
    if (this.failing) return;
    this.failing = true;
    this.options.onError(error);
  }

  private succeed(): void {
    if (!this.failing) return;
    this.failing = false;
    this.options.onRecovered?.(this.forgotten);
  }
}
