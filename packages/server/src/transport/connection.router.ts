import { randomUUID } from 'node:crypto';
import type { Namespace } from 'socket.io';
import { type E2eCommitAnswer, P2pError, P2pEvent } from 'nest-p2p-gateway-protocol';
import type { ClusterLink, LocalNode } from '../cluster/cluster.link.js';
import type { SlowConsumerMonitor } from '../limits/slow-consumer.monitor.js';
import type { ResolvedP2pOptions } from '../options/p2p-options.resolve.js';
import type { ClientTransport, PeerRef } from '../pairing/client-transport.interface.js';
import type { PairingEngine } from '../pairing/pairing.engine.js';
import type { PairingRequest } from '../stores/pairing-store.interface.js';
import { reportFailure } from '../logging/gateway.logger.js';
import type { GraceOutboxes } from './grace.outboxes.js';
import type { GatewayContext, P2pSocket, RelayMetrics } from '../connection/p2p-connection.state.js';
import { type AckOutcome, type RelayRefusal, deliverWithAck, failHeldRelays, flushHeldRelays } from '../connection/peer.delivery.js';

/**
 * Request ids of a node outside a cluster: a UUID drawn once per process, then a counter. Unique like a UUID per request
 * (also in a store that other processes share), without drawing 16 random bytes for each; clients never see them.
 */
const PROCESS_PREFIX = `${randomUUID()}-`;
let lastRequest = 0;

/**
 * Reaches a connection by its id, wherever it is: a socket of this node, or (cluster) a connection held by another
 * node, through the ClusterLink. The pairing logic's sends (`ClientTransport`), the handlers' relays (`GatewayContext`,
 * which every connection reaches as `conn.gateway`) and what other nodes ask of this one (`LocalNode`) all go through
 * here.
 */
export class ConnectionRouter implements ClientTransport, GatewayContext, LocalNode {
  /** Set on a cluster node: reaches connections held by the other nodes. */
  private cluster?: ClusterLink;

  constructor(
    /** The connected sockets of the gateway's namespace, by socket id. */
    readonly namespace: Namespace,
    readonly engine: PairingEngine,
    readonly options: ResolvedP2pOptions,
    private readonly outboxes: GraceOutboxes,
    /** Refuses relays to connections that hold too much unsent data (unless `limits.maxBufferedBytes` is off). */
    private readonly slowConsumers: SlowConsumerMonitor | undefined,
    /** Counters of the metrics and the control center's charts; undefined (every call site skipped) while both are off. */
    readonly metrics?: RelayMetrics,
  ) {}

  /** A cluster node routes what is not on this node through `link` from now on. */
  useCluster(link: ClusterLink): void {
    this.cluster = link;
  }

  send(connectionId: string, event: string, ...args: unknown[]): void {
    const socket = this.namespace.sockets.get(connectionId);
    if (socket) socket.emit(event, ...args);
    else this.cluster?.send(connectionId, event, args);
  }

  setPeer(connectionId: string, peer: PeerRef | undefined): void {
    const socket = this.namespace.sockets.get(connectionId) as P2pSocket | undefined;
    if (socket) this.setPeerOf(socket, peer);
    else this.cluster?.setPeer(connectionId, peer);
  }

  setLocalPeer(connectionId: string, peer: PeerRef | undefined): void {
    const socket = this.namespace.sockets.get(connectionId) as P2pSocket | undefined;
    if (socket) this.setPeerOf(socket, peer);
  }

  /** Points a socket of this node at its peer (undefined: none), and delivers or fails what it held meanwhile. */
  private setPeerOf(socket: P2pSocket, peer: PeerRef | undefined): void {
    const conn = socket.data.p2p;
    if (!conn) return;
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

  relayWithAck(connectionId: string, event: string, args: unknown[], outcome: AckOutcome): void {
    if (this.relayWithAckLocally(connectionId, event, args, outcome)) return;
    if (this.cluster) return this.cluster.relayWithAck(connectionId, event, args, outcome);
    outcome.settle(new P2pError('PEER_DISCONNECTED', undefined, P2pEvent.EMIT_ACKNOWLEDGE), []);
  }

  relayWithAckLocally(connectionId: string, event: string, args: unknown[], outcome: AckOutcome): boolean {
    const target = this.namespace.sockets.get(connectionId) as P2pSocket | undefined;
    if (!target) return false;
    if (this.slowConsumers?.isSlow(target)) outcome.settle(new P2pError('PEER_SLOW', undefined, P2pEvent.EMIT_ACKNOWLEDGE), []);
    else deliverWithAck(target, event, args, this.options.ackTimeoutMs, outcome);
    return true;
  }

  disconnect(connectionId: string, resumed = false): void {
    const socket = this.namespace.sockets.get(connectionId) as P2pSocket | undefined;
    if (!socket) return this.cluster?.disconnect(connectionId);
    const conn = socket.data.p2p;
    // A connection closed for a newer one of its session hands what it held for its peer to that one (admitted right
    // after, on this node). Closed for any other reason (displaced, removed by the host app, or its session resumed on
    // another node), what it held goes with it: it was the sender.
    if (conn && resumed) this.outboxes.keep(connectionId, conn);
    else if (conn) conn.outbox = undefined;
    socket.disconnect(true);
  }

  graceEnded(connectionId: string): void {
    this.outboxes.forget(connectionId);
  }

  takenElsewhere(connectionId: string): void {
    // Ends the grace timer too: with the session gone from here, it has nothing left to end (graceEnded follows).
    this.engine.endGrace(connectionId);
  }

  requestDone(request: PairingRequest, error?: P2pError, e2e?: E2eCommitAnswer): void {
    this.cluster?.requestDone(request, error, e2e);
  }

  newRequestId(): string {
    return this.cluster ? this.cluster.newRequestId() : `${PROCESS_PREFIX}${(++lastRequest).toString(36)}`;
  }

  answerLocalRequest(request: PairingRequest, error?: P2pError, e2e?: E2eCommitAnswer): void {
    this.engine.answerLocalRequest(request, error, e2e);
  }

  reportFailure(event: string, error: unknown): void {
    reportFailure(event, error);
  }
}
