import { Inject, Logger, type OnApplicationBootstrap, type OnApplicationShutdown, type OnModuleDestroy, type Type } from '@nestjs/common';
import { type OnGatewayConnection, type OnGatewayDisconnect, type OnGatewayInit, WebSocketGateway } from '@nestjs/websockets';
import type { Namespace, Server } from 'socket.io';
import {
  P2P_RELIABLE_PROTOCOL,
  P2pDisconnectReason,
  P2pError,
  P2pEvent,
  type RelayRates,
  type SessionPayload,
} from '../../protocol/index.js';
import type { ClientTransport, PeerRef } from '../pairing/client-transport.interface.js';
import { createConnectionMiddleware } from './connection.middleware.js';
import { P2P_EVENT_HANDLERS } from './handlers/index.js';
import { guardInboundArity } from './socket-decoder.hooks.js';
import { takeOverConnectionEvents } from './connection-events.binding.js';
import { setGatewayMetadata } from './nest-metadata.helper.js';
import type { GatewayContext, P2pConnection, P2pSocket } from './p2p-connection.state.js';
import { P2P_METER, P2P_RESOLVED_OPTIONS } from '../p2p.constants.js';
import type { GatewayMeter } from '../metrics/gateway.meter.js';
import type { ResolvedP2pOptions } from '../options/p2p-options.resolve.js';
import { PairingEngine } from '../pairing/pairing.engine.js';
import { type AckOutcome, type HeldRelay, type RelayRefusal, deliverWithAck, failHeldRelays, flushHeldRelays } from './peer.delivery.js';
import { SlowConsumerMonitor } from '../limits/slow-consumer.monitor.js';
import { randomUUID } from 'node:crypto';
import { ClusterLink, type LocalNode } from '../cluster/cluster.link.js';
import { tagSocketIds } from '../cluster/node.address.js';
import { NodeDrainService } from '../cluster/node-drain.service.js';
import { NodeLiveness } from '../cluster/node.liveness.js';
import { resyncPeers } from '../cluster/peer.resync.js';
import type { ClusterSetup } from '../cluster/redis-cluster.setup.js';
import { type PairingRequest, type ResumedClient, isStoreUnavailable } from '../stores/pairing-store.interface.js';

/** Socket.IO disconnect reasons of a connection lost rather than closed on purpose: these get reconnect grace. */
const TRANSPORT_DROPS: ReadonlySet<string> = new Set(['transport close', 'transport error', 'ping timeout']);

/**
 * The Socket.IO gateway: admits connections, binds the event handlers, and carries out the pairing logic's sends.
 * Handlers are bound as plain Socket.IO listeners rather than `@SubscribeMessage` methods: the original protocol has
 * variadic arguments and acks that Nest's payload mapping would reshape, and the relay path skips a per-message
 * pipeline (see docs/design-notes.md).
 */
export class P2pGatewayBase
  implements
    OnGatewayInit,
    OnGatewayConnection,
    OnGatewayDisconnect,
    OnApplicationBootstrap,
    OnModuleDestroy,
    OnApplicationShutdown,
    ClientTransport,
    GatewayContext,
    LocalNode
{
  private readonly logger = new Logger('P2pGateway');
  namespace!: Namespace;
  /** Set on a cluster node: reaches connections held by the other nodes. */
  private cluster?: ClusterLink;
  /** Refuses relays to connections that hold too much unsent data (unless `limits.maxBufferedBytes` is off). */
  private slowConsumers?: SlowConsumerMonitor;
  /** The relay rates told to protocol 3 clients, made once. */
  private readonly relayRates: RelayRates;
  private liveness?: NodeLiveness;

  constructor(
    @Inject(P2P_RESOLVED_OPTIONS) readonly options: ResolvedP2pOptions,
    @Inject(PairingEngine) readonly engine: PairingEngine,
    @Inject(NodeDrainService) readonly drain: NodeDrainService,
    /** Counters of the metrics and the control center's charts; undefined (every call site skipped) while both are off. */
    @Inject(P2P_METER) readonly metrics?: GatewayMeter,
  ) {
    // Nest reads the gateway options when the app initialises, after providers are built: the resolved options
    // (static or from forRootAsync) decide the namespace, port and Socket.IO server options.
    this.relayRates = relayRatesOf(options.limits);
    const { namespace, port, serverOptions } = options;
    setGatewayMetadata(this.constructor, port, { ...serverOptions, namespace });
  }

  afterInit(server: Server | Namespace): void {
    this.namespace = 'of' in server ? server.of(this.options.namespace) : server;
    takeOverConnectionEvents(server, this);
    const { maxBufferedBytes, slowConsumerTimeoutMs } = this.options.limits;
    if (maxBufferedBytes !== undefined) {
      this.slowConsumers = new SlowConsumerMonitor(maxBufferedBytes, slowConsumerTimeoutMs, (socket) =>
        this.closeSlowConsumer(socket as P2pSocket),
      );
    }
    this.namespace.use(createConnectionMiddleware(this));
    this.engine.attachTransport(this);
    const setup = this.options.cluster;
    if (setup) this.joinCluster(setup);
  }

  private joinCluster(setup: ClusterSetup): void {
    this.namespace.server.adapter(setup.adapter as Parameters<Server['adapter']>[0]);
    // Connection ids name this node, so any node addresses a connection's node from its id alone.
    tagSocketIds(this.namespace, setup.channel.tag);
    this.cluster = new ClusterLink(this.namespace, this, setup.channel, this.options.ackTimeoutMs);
    this.cluster.listen();
    this.liveness = new NodeLiveness(setup.store, {
      nodeId: this.options.nodeId,
      nodeTtlMs: setup.nodeTtlMs,
      onRemoved: (removed) => {
        this.cluster?.connectionsGone(removed);
        for (const client of removed) this.engine.settleDeparture(client, P2pDisconnectReason.DISCONNECTED);
      },
      onForgotten: () => this.closeForgottenConnections(),
      onHeartbeat: () => this.retryDepartures(),
      onError: (error) => this.reportFailure('cluster liveness (Redis unreachable; reported once until it answers)', error),
      onRecovered: () => {
        this.logger.log('cluster liveness: Redis answers again');
        // Commands that timed out while Redis hung may have run since: the cached peers follow the store again.
        resyncPeers(this.namespace, setup.store, (connectionId, peer) => this.setLocalPeer(connectionId, peer)).then(
          (fixed) => fixed > 0 && this.logger.warn(`${fixed} cached peer(s) re-derived from the store after the outage`),
          (error: unknown) => this.reportFailure('re-deriving cached peers', error),
        );
      },
    });
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
    this.logger.warn(
      `the shared store had forgotten this node: ${closed} unregistered connection(s) closed for their clients to reconnect`,
    );
  }

  /** Nest admits clients only once this resolves: a cluster node is listed alive (and clean of a past life) first. */
  async onApplicationBootstrap(): Promise<void> {
    await this.liveness?.start();
  }

  /**
   * The node shuts down: it admits nobody any more. A cluster node drains: it closes its connections at the transport
   * so their clients reconnect to another node, and keeps the pairings of those with a session in the store through
   * the reconnect grace (their peers are not told); the others leave, and their peers are told (docs/cluster.md).
   */
  async onModuleDestroy(): Promise<void> {
    this.slowConsumers?.close();
    this.drain.begin();
    this.refuseNewConnections();
    if (this.cluster && this.liveness && this.options.cluster) {
      await this.drainConnections(this.options.cluster.drainTimeoutMs);
      await this.liveness.stop({ keepHeld: true });
      await withinMs(this.cluster.flush(), this.options.cluster.drainTimeoutMs);
    } else {
      await this.liveness?.stop();
    }
    this.cluster?.close();
  }

  /** Engine.IO turns every new connection away (the clients retry, through the load balancer, elsewhere). */
  private refuseNewConnections(): void {
    const engine = this.namespace?.server?.engine as { opts?: { allowRequest?: unknown } } | undefined;
    if (!engine?.opts) return;
    engine.opts.allowRequest = (_request: unknown, answer: (error: string, allowed: boolean) => void) =>
      answer('the gateway node is shutting down', false);
  }

  /** Departures recorded while draining, awaited before the node lets go of the store. */
  private readonly drainDepartures: Promise<unknown>[] = [];

  private async drainConnections(timeoutMs: number): Promise<void> {
    // A transport close ('forced close' on this side), which handleDisconnect counts as a drop while draining: Socket.IO
    // clients reconnect after it, and those with a session resume their pairing on the node they reach.
    for (const socket of this.namespace.sockets.values()) socket.conn.close();
    const deadline = Date.now() + timeoutMs;
    while (this.namespace.sockets.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    await withinMs(Promise.allSettled(this.drainDepartures), Math.max(0, deadline - Date.now()));
    await withinMs(this.cluster?.flush() ?? Promise.resolve(), Math.max(0, deadline - Date.now()));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.options.cluster?.close();
  }

  handleConnection(socket: P2pSocket): void {
    const conn = socket.data.p2p;
    if (conn.releaseIfNeverConnected) socket.conn.off('close', conn.releaseIfNeverConnected);
    conn.releaseIfNeverConnected = undefined;
    guardInboundArity(socket);
    for (const [event, handler] of P2P_EVENT_HANDLERS) socket.on(event, handler);
    const resumed = conn.resumed;
    conn.resumed = undefined;
    if (conn.protocolVersion >= 2) socket.emit(P2pEvent.SESSION, sessionPayload(conn.protocolVersion, resumed, this.relayRates));
    if (!resumed) return;
    const kept = this.keptOutboxes.get(resumed.previousConnectionId);
    if (kept) {
      this.keptOutboxes.delete(resumed.previousConnectionId);
      conn.outbox = kept;
    }
    this.engine.activate(socket.id, resumed);
  }

  handleDisconnect(socket: P2pSocket, reason?: string): void {
    this.slowConsumers?.forget(socket.id);
    const conn = socket.data.p2p;
    if (!conn) return;
    const peer = conn.peer;
    conn.peer = undefined;
    const gone = new P2pError('PEER_DISCONNECTED');
    if (conn.owedAcks) {
      for (const settle of conn.owedAcks) settle(gone);
      conn.owedAcks.clear();
    }
    const dropped = reason !== undefined && (TRANSPORT_DROPS.has(reason) || (reason === 'forced close' && this.drain.isDraining));
    if (dropped && peer && conn.canResume && this.options.reconnectGraceMs > 0) {
      // Likely held (the store decides): the peer holds its relays from now on, not once the store has answered, and
      // what this connection held for its peer waits for the session to come back.
      if (peer.connectionId !== undefined) this.setPeer(peer.connectionId, { clientId: conn.clientId });
      this.keepOutbox(socket.id, conn);
    } else {
      failHeldRelays(conn, socket, gone);
    }
    const departure = this.engine[dropped ? 'drop' : 'leave'](conn.clientId, socket.id, P2pDisconnectReason.DISCONNECTED).catch(
      (cause: unknown) => this.departureFailed(conn.clientId, socket.id, cause),
    );
    if (this.drain.isDraining) this.drainDepartures.push(departure);
  }

  /**
   * A connection that stayed over its buffered-bytes bound: it leaves at once (its peer gets
   * `P2P_DISCONNECT(clientId, 'SLOW_CONSUMER')`, not a reconnect grace), then the socket is closed.
   */
  private closeSlowConsumer(socket: P2pSocket): void {
    const { clientId } = socket.data.p2p;
    this.engine
      .leave(clientId, socket.id, P2pDisconnectReason.SLOW_CONSUMER)
      .catch((cause: unknown) => this.reportFailure('slow consumer', cause))
      .finally(() => socket.disconnect(true));
  }

  /** Cluster: departures the store could not record while Redis was away, by connection id; retried at each heartbeat. */
  private readonly unsettledDepartures = new Map<string, string>();

  private departureFailed(clientId: string, connectionId: string, cause: unknown): void {
    // Left alone, the record would outlive its connection on a live node (no sweep): the id stuck, the peer never told.
    if (this.cluster && isStoreUnavailable(cause)) this.unsettledDepartures.set(connectionId, clientId);
    else this.reportFailure('disconnect', cause);
  }

  private retryDepartures(): void {
    for (const [connectionId, clientId] of this.unsettledDepartures) {
      this.engine.leave(clientId, connectionId, P2pDisconnectReason.DISCONNECTED).then(
        () => this.unsettledDepartures.delete(connectionId),
        (cause: unknown) => {
          if (isStoreUnavailable(cause)) return;
          this.unsettledDepartures.delete(connectionId);
          this.reportFailure('disconnect', cause);
        },
      );
    }
  }

  /** Relays a dropped connection held for its peer, kept for reconnect grace by the dropped connection's id. */
  private readonly keptOutboxes = new Map<string, HeldRelay[]>();

  private keepOutbox(connectionId: string, conn: P2pConnection): void {
    if (!conn.outbox) return;
    this.keptOutboxes.set(connectionId, conn.outbox);
    conn.outbox = undefined;
    setTimeout(() => this.keptOutboxes.delete(connectionId), this.options.reconnectGraceMs).unref();
  }

  send(connectionId: string, event: string, ...args: unknown[]): void {
    const socket = this.namespace.sockets.get(connectionId);
    if (socket) socket.emit(event, ...args);
    else this.cluster?.send(connectionId, event, args);
  }

  setPeer(connectionId: string, peer: PeerRef | undefined): void {
    if (this.namespace.sockets.has(connectionId)) this.setLocalPeer(connectionId, peer);
    else this.cluster?.setPeer(connectionId, peer);
  }

  setLocalPeer(connectionId: string, peer: PeerRef | undefined): void {
    const socket = this.namespace.sockets.get(connectionId) as P2pSocket | undefined;
    const conn = socket?.data.p2p;
    if (!socket || !conn) return;
    conn.peer = peer;
    if (!conn.outbox) return;
    if (!peer) return failHeldRelays(conn, socket, new P2pError('PEER_DISCONNECTED'));
    if (peer.connectionId !== undefined) flushHeldRelays(conn, socket, peer.connectionId);
  }

  relay(connectionId: string, event: string, args: unknown[]): RelayRefusal | undefined {
    const target = this.namespace.sockets.get(connectionId);
    if (target) {
      if (this.slowConsumers?.isSlow(target)) return 'PEER_SLOW';
      target.emit(event, ...args);
      return undefined;
    }
    if (!this.cluster) return 'PEER_DISCONNECTED';
    this.cluster.send(connectionId, event, args);
    return undefined;
  }

  relayWithAck(connectionId: string, event: string, args: unknown[], onOutcome: AckOutcome): void {
    if (this.relayWithAckLocally(connectionId, event, args, onOutcome)) return;
    if (this.cluster) return this.cluster.relayWithAck(connectionId, event, args, onOutcome);
    onOutcome(new P2pError('PEER_DISCONNECTED', undefined, P2pEvent.EMIT_ACKNOWLEDGE), []);
  }

  relayWithAckLocally(connectionId: string, event: string, args: unknown[], onOutcome: AckOutcome): boolean {
    const target = this.namespace.sockets.get(connectionId) as P2pSocket | undefined;
    if (!target) return false;
    if (this.slowConsumers?.isSlow(target)) onOutcome(new P2pError('PEER_SLOW', undefined, P2pEvent.EMIT_ACKNOWLEDGE), []);
    else deliverWithAck(target, event, args, this.options.ackTimeoutMs, onOutcome);
    return true;
  }

  disconnect(connectionId: string): void {
    const socket = this.namespace.sockets.get(connectionId) as P2pSocket | undefined;
    if (!socket) return this.cluster?.disconnect(connectionId);
    // A connection closed for a newer one of its session hands what it held for its peer to that one.
    if (socket.data.p2p) this.keepOutbox(connectionId, socket.data.p2p);
    socket.disconnect(true);
  }

  requestDone(request: PairingRequest, error?: P2pError): void {
    this.cluster?.requestDone(request, error);
  }

  newRequestId(): string {
    return this.cluster ? this.cluster.newRequestId() : randomUUID();
  }

  answerLocalRequest(request: PairingRequest, error?: P2pError): void {
    this.engine.answerLocalRequest(request, error);
  }

  reportFailure(event: string, error: unknown): void {
    this.logger.error(`${event} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  }

  /** What the gateway holds beside its connections (diagnostics, read by the soak: all 0 once every client left). */
  heldCounts(): { keptOutboxes: number; unsettledDepartures: number; pendingClusterAcks: number } {
    const pendingClusterAcks = this.cluster?.pendingAckCount ?? 0;
    return { keptOutboxes: this.keptOutboxes.size, unsettledDepartures: this.unsettledDepartures.size, pendingClusterAcks };
  }
}

/** `promise`, or nothing more to wait for after `ms`. */
function withinMs(promise: Promise<unknown>, ms: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise((resolve) => (timer = setTimeout(resolve, ms)));
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/**
 * `P2P_SESSION`'s argument. Protocol 3 clients also learn their relay rates and, when they resumed, their peer's
 * version.
 */
function sessionPayload(protocolVersion: number, resumed: ResumedClient | undefined, rates: RelayRates): SessionPayload {
  if (protocolVersion < P2P_RELIABLE_PROTOCOL) return resumed ? { resumed: true, peerId: resumed.peer?.clientId } : { resumed: false };
  if (!resumed) return { resumed: false, rates };
  const peer = resumed.peer;
  if (!peer) return { resumed: true, rates };
  return { resumed: true, peerId: peer.clientId, peerProtocol: peer.protocolVersion, rates };
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
