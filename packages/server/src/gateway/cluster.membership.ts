import type { Namespace, Server } from 'socket.io';
import { P2pDisconnectReason } from 'nest-p2p-gateway-protocol';
import type { PairingEngine } from '../pairing/pairing.engine.js';
import type { ConnectionDepartures } from '../transport/connection.departures.js';
import type { ConnectionRouter } from '../transport/connection.router.js';
import { gatewayLogger, reportFailure } from '../logging/gateway.logger.js';
import type { P2pSocket } from '../connection/p2p-connection.state.js';
import { ClusterLink } from '../cluster/cluster.link.js';
import { type ConnectionDrain, withinMs } from '../cluster/connection.drain.js';
import { tagSocketIds } from '../cluster/node.address.js';
import { NodeLiveness } from '../cluster/node.liveness.js';
import { resyncPeers } from '../cluster/peer.resync.js';
import { RecordReconciler } from '../cluster/record.reconciler.js';
import type { ClusterSetup } from '../cluster/redis-cluster.setup.js';
import type { ResolvedClusterOptions } from '../options/redis-cluster.options.js';

/** Heartbeats (each nodeTtlMs / 3) between two periodic checks of this node's records: about once a TTL. */
const RECONCILE_EVERY_HEARTBEATS = 3;

/**
 * This node's part in a cluster: its Socket.IO server on the Redis adapter, connection ids that name the node, the link
 * to the other nodes (the router reaches remote connections through it), and its liveness in the shared store, with
 * what follows from it (clients of dead nodes removed, a node the store forgot closing its connections, departures
 * retried once Redis answers, cached peers re-derived after an outage). Joins when made; `start` before clients are
 * admitted, `leave` at shutdown.
 */
export class ClusterMembership {
  readonly link: ClusterLink;
  private readonly liveness: NodeLiveness;
  private readonly reconciler: RecordReconciler;
  private heartbeats = 0;

  constructor(
    private readonly namespace: Namespace,
    private readonly engine: PairingEngine,
    router: ConnectionRouter,
    departures: ConnectionDepartures,
    setup: ClusterSetup,
    private readonly options: ResolvedClusterOptions & { nodeId: string; ackTimeoutMs: number },
  ) {
    namespace.server.adapter(setup.adapter as Parameters<Server['adapter']>[0]);
    // Connection ids name this node, so any node addresses a connection's node from its id alone.
    tagSocketIds(namespace, setup.channel.tag);
    this.link = new ClusterLink(namespace, router, setup.channel, options.ackTimeoutMs);
    router.useCluster(this.link);
    this.link.listen();
    this.reconciler = new RecordReconciler(namespace, setup.store);
    const resync = (why: string) =>
      resyncPeers(namespace, setup.store, (connectionId, peer) => router.setLocalPeer(connectionId, peer)).then(
        (fixed) => fixed > 0 && gatewayLogger.warn(`${fixed} cached peer(s) re-derived from the store ${why}`),
        (error: unknown) => reportFailure('re-deriving cached peers', error),
      );
    this.liveness = new NodeLiveness(setup.store, {
      nodeId: options.nodeId,
      nodeTtlMs: options.nodeTtlMs,
      onRemoved: (removed) => {
        this.link.connectionsGone(removed);
        for (const client of removed) engine.settleDeparture(client, P2pDisconnectReason.DISCONNECTED);
      },
      onForgotten: () => this.closeForgottenConnections(),
      onHeartbeat: (forgotten) => {
        departures.retry();
        // Once a TTL, a batch of this node's records is checked against what it holds (writes a failover lost). Not
        // when the store forgot this node: its connections are closed for their clients to register again instead.
        if (++this.heartbeats % RECONCILE_EVERY_HEARTBEATS === 0 && !forgotten) {
          void this.restoreLost(this.reconciler.checkBatch(), resync);
        }
      },
      onError: (error) => reportFailure('cluster liveness (Redis unreachable; reported once until it answers)', error),
      onRecovered: (forgotten) => {
        gatewayLogger.log('cluster liveness: Redis answers again');
        // Commands that timed out while Redis hung may have run since, and a failover may have lost writes: the
        // records come back first (unless Redis forgot this node altogether), then the cached peers follow the store.
        void this.restoreLost(forgotten ? Promise.resolve(0) : this.reconciler.checkAll(), resync, true);
      },
    });
  }

  /** Logs what a reconciliation restored, then re-derives the cached peers (always after an outage). */
  private async restoreLost(check: Promise<number>, resync: (why: string) => Promise<unknown>, outage = false): Promise<void> {
    const restored = await check.catch((error: unknown) => {
      reportFailure('restoring lost records', error);
      return 0;
    });
    if (restored > 0)
      gatewayLogger.warn(`${restored} record(s) of this node's clients were missing from the store (lost writes): restored`);
    if (outage || restored > 0) await resync(outage ? 'after the outage' : 'after restoring lost records');
  }

  /** Lists this node alive (and clean of a past life); Nest admits clients only once this resolves. */
  start(): Promise<void> {
    return this.liveness.start();
  }

  /**
   * The node drains: its connections close (their clients reconnect to another node) and their departures are
   * recorded; then it leaves the store, keeping the clients held for reconnect grace (their sessions come back on
   * another node), publishes what it still owes the other nodes, and stops taking their frames.
   */
  async leave(drain: ConnectionDrain, departures: () => Promise<unknown>): Promise<void> {
    const { drainTimeoutMs } = this.options;
    await drain.drainConnections(drainTimeoutMs, departures, () => this.link.flush());
    await this.liveness.stop({ keepHeld: true });
    await withinMs(this.link.flush(), drainTimeoutMs);
    this.link.close();
  }

  /**
   * The shared store forgot this node (Redis came back empty, or the other nodes swept this one while it could not
   * reach Redis): connections it holds but the store does not know are closed at the transport, so their clients
   * reconnect (Socket.IO clients do after a transport close) and register again, ids and uniqueness included.
   */
  private async closeForgottenConnections(): Promise<void> {
    const sockets = [...this.namespace.sockets.values()] as P2pSocket[];
    const records = await Promise.all(sockets.map((socket) => this.engine.store.getClient(socket.data.p2p.clientId)));
    let closed = 0;
    sockets.forEach((socket, i) => {
      if (records[i]?.connectionId === socket.id) return;
      closed++;
      socket.conn.close();
    });
    gatewayLogger.warn(
      `the shared store had forgotten this node: ${closed} unregistered connection(s) closed for their clients to reconnect`,
    );
  }
}
