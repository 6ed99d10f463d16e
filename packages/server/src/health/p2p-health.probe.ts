import { Inject, Injectable } from '@nestjs/common';
import { runBounded } from '../auth/bounded-hook.runner.js';
import { P2P_RESOLVED_OPTIONS, P2P_STORE } from '../tokens/p2p.constants.js';
import type { ResolvedP2pOptions } from '../options/p2p-options.resolve.js';
import type { PairingStore } from '../stores/pairing-store.interface.js';
import { P2pDrainState } from './p2p-drain.state.js';

/** Default bound of each check: a store that hangs (Redis paused, a network black hole) is reported down after it. */
export const DEFAULT_HEALTH_TIMEOUT_MS = 1_000;

/** What a health check found. `error` says why `store` or `node` is down. */
export interface P2pHealthReport {
  /** The store answered within the bound (a Redis PING; `counts()` for other stores). */
  store: 'up' | 'down';
  /** Cluster nodes only: this node is listed alive in the shared store. */
  node?: 'up' | 'down';
  nodeId: string;
  draining: boolean;
  error?: string;
}

/** A store that can be pinged and asked about node liveness more cheaply than through `counts()` (RedisPairingStore). */
interface ProbeableStore {
  ping?(): Promise<unknown>;
  isNodeAlive?(nodeId: string): Promise<boolean>;
  counts(): Promise<unknown>;
}

/**
 * Checks what a node needs to serve: the store answers within a bound, a cluster node is registered alive, and whether
 * it is draining. Needs nothing beyond Nest; `P2pHealthIndicator` (`nest-p2p-gateway/health`) turns the report into a
 * Terminus result.
 */
@Injectable()
export class P2pHealthProbe {
  constructor(
    @Inject(P2P_RESOLVED_OPTIONS) private readonly options: ResolvedP2pOptions,
    @Inject(P2pDrainState) private readonly drain: P2pDrainState,
    @Inject(P2P_STORE) private readonly pairingStore: PairingStore,
  ) {}

  async check(timeoutMs: number = DEFAULT_HEALTH_TIMEOUT_MS): Promise<P2pHealthReport> {
    const { nodeId, cluster } = this.options;
    const store = this.pairingStore as ProbeableStore;
    const report: P2pHealthReport = { store: 'down', nodeId, draining: this.drain.isDraining };
    const pinged = await runBounded(() => (store.ping ? store.ping() : store.counts()), timeoutMs);
    if (!pinged.ok) {
      report.error = pinged.timedOut ? `the store did not answer within ${timeoutMs} ms` : `the store failed: ${messageOf(pinged.error)}`;
      if (cluster) report.node = 'down';
      return report;
    }
    report.store = 'up';
    if (!cluster || !store.isNodeAlive) return report;
    const alive = await runBounded(() => store.isNodeAlive!(nodeId), timeoutMs);
    report.node = alive.ok && alive.value ? 'up' : 'down';
    if (!alive.ok)
      report.error = alive.timedOut ? `the store did not answer within ${timeoutMs} ms` : `the store failed: ${messageOf(alive.error)}`;
    else if (!alive.value) report.error = `node ${nodeId} is not registered alive in the cluster`;
    return report;
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
