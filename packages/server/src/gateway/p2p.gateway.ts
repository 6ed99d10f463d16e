import { Inject, type OnApplicationBootstrap, type OnModuleDestroy, type Type } from '@nestjs/common';
import { type OnGatewayConnection, type OnGatewayDisconnect, type OnGatewayInit, WebSocketGateway } from '@nestjs/websockets';
import type { Namespace, Server } from 'socket.io';
import { P2P_RELIABLE_PROTOCOL, P2pError, P2pEvent, type RelayRates, type SessionPayload } from 'nest-p2p-gateway-protocol';
import { createConnectionMiddleware } from '../transport/connection.middleware.js';
import { P2P_EVENT_HANDLERS } from '../transport/handlers/index.js';
import { guardInboundArity } from '../connection/socket-decoder.hooks.js';
import { coalesceWebSocketWrites } from '../transport/websocket-writes.hooks.js';
import { takeOverConnectionEvents } from '../transport/connection-events.binding.js';
import { setGatewayMetadata } from '../transport/nest-metadata.helper.js';
import type { P2pConnection, P2pSocket } from '../connection/p2p-connection.state.js';
import { P2P_CLUSTER, P2P_METER, P2P_RESOLVED_OPTIONS } from '../tokens/p2p.constants.js';
import type { GatewayMeter } from '../metrics/gateway.meter.js';
import type { ResolvedP2pOptions } from '../options/p2p-options.resolve.js';
import { PairingEngine } from '../pairing/pairing.engine.js';
import { peerInfoOf } from '../pairing/peer-info.of.js';
import { failHeldRelays } from '../connection/peer.delivery.js';
import { SlowConsumerMonitor } from '../limits/slow-consumer.monitor.js';
import { ClusterMembership } from './cluster.membership.js';
import { ConnectionDrain } from '../cluster/connection.drain.js';
import { PendingConnectionsBound } from '../limits/pending-connections.bound.js';
import { NodeDrainService } from '../cluster/node-drain.service.js';
import type { ClusterSetup } from '../cluster/redis-cluster.setup.js';
import type { ResumedClient } from '../stores/pairing-store.interface.js';
import { ConnectionDepartures } from '../transport/connection.departures.js';
import { ConnectionRouter } from '../transport/connection.router.js';
import { GraceOutboxes } from '../transport/grace.outboxes.js';

/** Socket.IO disconnect reasons of a connection lost rather than closed on purpose: these get reconnect grace. */
const TRANSPORT_DROPS: ReadonlySet<string> = new Set(['transport close', 'transport error', 'ping timeout']);

/**
 * The Socket.IO gateway: Nest's hooks, wiring the gateway's parts together. The router reaches connections here or on
 * other nodes (and is what handlers reach as `conn.gateway`), the grace outboxes keep what dropped connections held for
 * their peers, the departures record connections that went, the cluster membership runs a cluster node, and the drain
 * empties the node at shutdown. Handlers are bound as plain Socket.IO listeners rather than `@SubscribeMessage`
 * methods: the original protocol has variadic arguments and acks that Nest's payload mapping would reshape, and the
 * relay path skips a per-message pipeline (see docs/design-notes.md).
 */
export class P2pGatewayBase implements OnGatewayInit, OnGatewayConnection, OnGatewayDisconnect, OnApplicationBootstrap, OnModuleDestroy {
  namespace!: Namespace;
  /** The relay rates told to protocol 3 clients, made once. */
  /** What P2P_SESSION announces to protocol 3 clients of their relay limits. */
  private readonly relayLimits: RelayLimits;
  private readonly outboxes = new GraceOutboxes();
  private readonly departures: ConnectionDepartures;
  private router?: ConnectionRouter;
  /** Refuses relays to connections that hold too much unsent data (unless `limits.maxBufferedBytes` is off). */
  private slowConsumers?: SlowConsumerMonitor;
  private connectionDrain?: ConnectionDrain;
  /** Set on a cluster node. */
  private membership?: ClusterMembership;

  constructor(
    @Inject(P2P_RESOLVED_OPTIONS) readonly options: ResolvedP2pOptions,
    @Inject(PairingEngine) readonly engine: PairingEngine,
    @Inject(NodeDrainService) readonly drain: NodeDrainService,
    /** Counters of the metrics and the control center's charts; undefined (every call site skipped) while both are off. */
    @Inject(P2P_METER) readonly metrics: GatewayMeter | undefined,
    /** A cluster node's Redis setup; undefined without the `redis` option. */
    @Inject(P2P_CLUSTER) private readonly cluster: ClusterSetup | undefined,
  ) {
    // Nest reads the gateway options when the app initialises, after providers are built: the resolved options
    // (static or from forRootAsync) decide the namespace, port and Socket.IO server options.
    const { maxMessageBytes } = options.limits;
    this.relayLimits = { rates: relayRatesOf(options.limits), ...(maxMessageBytes === undefined ? {} : { maxMessageBytes }) };
    const { namespace, port, serverOptions } = options;
    setGatewayMetadata(this.constructor, port, { ...serverOptions, namespace });
    this.departures = new ConnectionDepartures(engine, cluster !== undefined, (connectionId) => this.outboxes.forget(connectionId));
  }

  afterInit(server: Server | Namespace): void {
    this.namespace = 'of' in server ? server.of(this.options.namespace) : server;
    takeOverConnectionEvents(server, this);
    const { maxBufferedBytes, slowConsumerTimeoutMs } = this.options.limits;
    if (maxBufferedBytes !== undefined) {
      this.slowConsumers = new SlowConsumerMonitor(maxBufferedBytes, slowConsumerTimeoutMs, (socket) =>
        this.departures.closeSlowConsumer(socket as P2pSocket),
      );
    }
    const router = new ConnectionRouter(this.namespace, this.engine, this.options, this.outboxes, this.slowConsumers, this.metrics);
    this.router = router;
    this.connectionDrain = new ConnectionDrain(this.namespace);
    this.namespace.use(createConnectionMiddleware(router, this.outboxes));
    const { maxPendingConnections } = this.options.limits;
    if (maxPendingConnections !== undefined) new PendingConnectionsBound(maxPendingConnections).install(this.namespace.server);
    this.engine.attachTransport(router);
    const { cluster } = this;
    if (cluster && this.options.cluster) {
      const { nodeId, ackTimeoutMs } = this.options;
      this.membership = new ClusterMembership(this.namespace, this.engine, router, this.departures, cluster, {
        ...this.options.cluster,
        nodeId,
        ackTimeoutMs,
      });
    }
  }

  /** Nest admits clients only once this resolves: a cluster node is listed alive (and clean of a past life) first. */
  async onApplicationBootstrap(): Promise<void> {
    await this.membership?.start();
  }

  /**
   * The node shuts down: it admits nobody any more. A cluster node drains: it closes its connections at the transport
   * so their clients reconnect to another node, and keeps the pairings of those with a session in the store through
   * the reconnect grace (their peers are not told); the others leave, and their peers are told (docs/cluster.md). The
   * Redis connections close after this, at application shutdown (`ClusterSetup`).
   */
  async onModuleDestroy(): Promise<void> {
    this.slowConsumers?.close();
    this.drain.begin();
    this.connectionDrain?.refuseNewConnections();
    if (this.membership && this.connectionDrain) await this.membership.leave(this.connectionDrain, () => this.departures.drained());
  }

  handleConnection(socket: P2pSocket): void {
    const conn = socket.data.p2p;
    if (conn.releaseIfNeverConnected) socket.conn.off('close', conn.releaseIfNeverConnected);
    conn.releaseIfNeverConnected = undefined;
    guardInboundArity(socket);
    coalesceWebSocketWrites(socket);
    for (const [event, handler] of P2P_EVENT_HANDLERS) socket.on(event, handler);
    const resumed = conn.resumed;
    conn.resumed = undefined;
    if (conn.protocolVersion >= 2) socket.emit(P2pEvent.SESSION, sessionPayload(conn, resumed, this.relayLimits));
    // What the previous connection of its session held for its peer came over as it was admitted (GraceOutboxes).
    if (resumed) this.engine.activate(socket.id, resumed);
  }

  handleDisconnect(socket: P2pSocket, reason?: string): void {
    this.slowConsumers?.forget(socket.id);
    const conn = socket.data.p2p;
    if (!conn) return;
    const peer = conn.peer;
    conn.peer = undefined;
    // Errors only when something is owed or held: a P2pError captures a stack trace, and most departures owe nothing.
    if (conn.owedAcks) conn.owedAcks.failAll(new P2pError('PEER_DISCONNECTED'));
    const dropped = reason !== undefined && (TRANSPORT_DROPS.has(reason) || (reason === 'forced close' && this.drain.isDraining));
    if (dropped && peer && conn.canResume && this.options.reconnectGraceMs > 0) {
      // Likely held (the store decides): the peer holds its relays from now on, not once the store has answered, and
      // what this connection held for its peer waits for the session to come back (until the engine ends the grace).
      if (peer.connectionId !== undefined) this.router?.setPeer(peer.connectionId, { clientId: conn.clientId });
      this.outboxes.keep(socket.id, conn);
    } else if (conn.outbox) {
      failHeldRelays(conn, socket, new P2pError('PEER_DISCONNECTED'));
    }
    this.departures.record(conn.clientId, socket.id, dropped, this.drain.isDraining);
  }

  /** What the gateway holds beside its connections (diagnostics, read by the soak: all 0 once every client left). */
  heldCounts(): { keptOutboxes: number; unsettledDepartures: number; pendingClusterAcks: number } {
    const pendingClusterAcks = this.membership?.link.pendingAckCount ?? 0;
    return { keptOutboxes: this.outboxes.size, unsettledDepartures: this.departures.unsettledCount, pendingClusterAcks };
  }
}

/** A connection's relay rates and largest message, as P2P_SESSION tells them. */
interface RelayLimits {
  rates: RelayRates;
  maxMessageBytes?: number;
}

/**
 * `P2P_SESSION`'s argument. Protocol 3 clients also learn the clientId they were admitted under, their relay rates and
 * largest message and, when they resumed, their peer's version.
 */
function sessionPayload(conn: P2pConnection, resumed: ResumedClient | undefined, limits: RelayLimits): SessionPayload {
  if (conn.protocolVersion < P2P_RELIABLE_PROTOCOL) return resumed ? { resumed: true, peerId: resumed.peer?.clientId } : { resumed: false };
  const { clientId } = conn;
  // To a client that declared it takes the e2e pre-commitment: this gateway carries it (docs/e2e.md).
  const told = { ...limits, ...(conn.registration.e2eCommit === true ? { e2eCommit: true } : {}) };
  if (!resumed) return { resumed: false, clientId, ...told };
  const peer = resumed.peer;
  if (!peer) return { resumed: true, clientId, ...told };
  const { peerProtocol, peerWebRtc } = peerInfoOf(resumed.record, peer);
  return { resumed: true, clientId, peerId: peer.clientId, peerProtocol, ...(peerWebRtc === undefined ? {} : { peerWebRtc }), ...told };
}

function relayRatesOf({ relayMessages, relayBytes }: ResolvedP2pOptions['limits']): RelayRates {
  const perSecond = (rate: { perMs: number; burst: number }) => ({ perSecond: rate.perMs * 1000, burst: rate.burst });
  return {
    ...(relayMessages ? { messages: perSecond(relayMessages) } : {}),
    ...(relayBytes ? { bytes: perSecond(relayBytes) } : {}),
  };
}

/** A gateway class of its own for each `P2pModule.forRoot*`, so each carries its own namespace and options. */
export function createP2pGatewayClass(): Type<P2pGatewayBase> {
  @WebSocketGateway()
  class P2pGateway extends P2pGatewayBase {}
  return P2pGateway;
}
