import { randomUUID } from 'node:crypto';
import type { Namespace } from 'socket.io';
import { P2pError, P2pEvent } from '../../protocol/index.js';
import type { PeerRef } from '../client-transport.interface.js';
import { type AckOutcome, ackTimeoutMessage } from '../peer-delivery.js';
import type { PairingRequest } from '../stores/pairing-store.interface.js';
import type { GatewayMeter } from '../metrics/gateway.meter.js';
import { ClusterMessage, type RelayReply } from './cluster-message.js';
import { type PackedValues, packValues, unpackValues } from './cluster-values.js';

/** What a node does when another node asks: the gateway's local operations. */
export interface LocalNode {
  setLocalPeer(connectionId: string, peer: PeerRef | undefined): void;
  relayWithAckLocally(connectionId: string, event: string, args: unknown[], onOutcome: AckOutcome): boolean;
  answerLocalRequest(request: PairingRequest, error?: P2pError): void;
  /** Counts the messages this node sends to the others, when metrics or the control center are on. */
  readonly metrics?: GatewayMeter;
}

/** Extra time a remote ack may take over `ackTimeoutMs`: the round trip between nodes. */
const NODE_HOP_MS = 2_000;

/**
 * Reaches connections held by other gateway nodes, through the Socket.IO adapter (Redis): sends and disconnects use
 * the adapter's rooms (each socket is in a room named after its id); everything else is a `serverSideEmit` message.
 */
export class ClusterLink {
  constructor(
    private readonly namespace: Namespace,
    private readonly local: LocalNode,
    private readonly ackTimeoutMs: number,
  ) {}

  /** Relay acks this node awaits from other nodes, by ack id, with the connection that owes each. */
  private readonly pendingAcks = new Map<string, { onOutcome: AckOutcome; timer: NodeJS.Timeout; connectionId: string }>();

  /** How many relay acks from other nodes are awaited (diagnostics: 0 once the traffic is over). */
  get pendingAckCount(): number {
    return this.pendingAcks.size;
  }

  /** Listens for the other nodes' messages. */
  listen(): void {
    this.namespace.on(ClusterMessage.SET_PEER, (connectionId: string, peer: PeerRef | null) =>
      this.local.setLocalPeer(connectionId, peer ?? undefined),
    );
    this.namespace.on(
      ClusterMessage.REQUEST_DONE,
      (requestId: string, sourceId: string, targetId: string, error: unknown) =>
        this.local.answerLocalRequest({ requestId, sourceId, targetId }, error ? P2pError.fromPayload(error) : undefined),
    );
    this.namespace.on(ClusterMessage.RELAY_WITH_ACK, (connectionId: string, event: string, args: PackedValues, ackId: string) => {
      // Every node gets the message; only the one holding the connection unpacks and delivers it.
      if (!this.namespace.sockets.has(connectionId)) return;
      this.local.relayWithAckLocally(connectionId, event, unpackValues(args), (error, results) => {
        const reply: RelayReply = error ? { error: error.toPayload() } : { results: packValues(results) };
        this.local.metrics?.cluster('sent', ClusterMessage.RELAY_REPLY);
        this.namespace.serverSideEmit(ClusterMessage.RELAY_REPLY, ackId, reply);
      });
    });
    this.namespace.on(ClusterMessage.CONNECTIONS_GONE, (connectionIds: string[]) => this.settleAcksOwedBy(connectionIds));
    this.namespace.on(ClusterMessage.RELAY_REPLY, (ackId: string, reply: RelayReply) => {
      const pending = this.pendingAcks.get(ackId);
      if (!pending) return;
      this.pendingAcks.delete(ackId);
      clearTimeout(pending.timer);
      if ('error' in reply) pending.onOutcome(P2pError.fromPayload(reply.error), []);
      else pending.onOutcome(undefined, unpackValues(reply.results));
    });
  }

  /** Settles every relay ack still awaited from other nodes (shutdown). */
  close(): void {
    for (const [ackId, pending] of this.pendingAcks) {
      clearTimeout(pending.timer);
      this.pendingAcks.delete(ackId);
      pending.onOutcome(new P2pError('PEER_DISCONNECTED', 'the gateway is shutting down', P2pEvent.EMIT_ACKNOWLEDGE), []);
    }
  }

  /**
   * Connections removed without their node's help (it died, or is shutting down): every node, this one included,
   * fails the relay acks they owe with PEER_DISCONNECTED instead of waiting for ACK_TIMEOUT.
   */
  connectionsGone(connectionIds: string[]): void {
    if (connectionIds.length === 0) return;
    this.settleAcksOwedBy(connectionIds);
    this.local.metrics?.cluster('sent', ClusterMessage.CONNECTIONS_GONE);
    this.namespace.serverSideEmit(ClusterMessage.CONNECTIONS_GONE, connectionIds);
  }

  private settleAcksOwedBy(connectionIds: string[]): void {
    const gone = new Set(connectionIds);
    for (const [ackId, pending] of this.pendingAcks) {
      if (!gone.has(pending.connectionId)) continue;
      clearTimeout(pending.timer);
      this.pendingAcks.delete(ackId);
      pending.onOutcome(new P2pError('PEER_DISCONNECTED', undefined, P2pEvent.EMIT_ACKNOWLEDGE), []);
    }
  }

  send(connectionId: string, event: string, args: unknown[]): void {
    this.local.metrics?.cluster('sent', 'emit');
    this.namespace.to(connectionId).emit(event, ...args);
  }

  disconnect(connectionId: string): void {
    this.local.metrics?.cluster('sent', 'disconnect');
    this.namespace.in(connectionId).disconnectSockets(true);
  }

  setPeer(connectionId: string, peer: PeerRef | undefined): void {
    this.local.metrics?.cluster('sent', ClusterMessage.SET_PEER);
    this.namespace.serverSideEmit(ClusterMessage.SET_PEER, connectionId, peer ?? null);
  }

  requestDone(request: PairingRequest, error?: P2pError): void {
    const { requestId, sourceId, targetId } = request;
    this.local.metrics?.cluster('sent', ClusterMessage.REQUEST_DONE);
    this.namespace.serverSideEmit(ClusterMessage.REQUEST_DONE, requestId, sourceId, targetId, error?.toPayload() ?? null);
  }

  relayWithAck(connectionId: string, event: string, args: unknown[], onOutcome: AckOutcome): void {
    const ackId = randomUUID();
    const timer = setTimeout(() => {
      this.pendingAcks.delete(ackId);
      onOutcome(new P2pError('ACK_TIMEOUT', ackTimeoutMessage(event), P2pEvent.EMIT_ACKNOWLEDGE), []);
    }, this.ackTimeoutMs + NODE_HOP_MS);
    this.pendingAcks.set(ackId, { onOutcome, timer, connectionId });
    this.local.metrics?.cluster('sent', ClusterMessage.RELAY_WITH_ACK);
    this.namespace.serverSideEmit(ClusterMessage.RELAY_WITH_ACK, connectionId, event, packValues(args), ackId);
  }
}
