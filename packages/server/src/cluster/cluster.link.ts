import type { Namespace } from 'socket.io';
import { type E2eCommitAnswer, P2pError, type P2pErrorPayload, P2pEvent, e2eCommitAnswerOf } from 'nest-p2p-gateway-protocol';
import type { PeerRef } from '../pairing/client-transport.interface.js';
import { type AckOutcome, ackTimeoutMessage } from '../connection/peer.delivery.js';
import type { PairingRequest, RemovedClient } from '../stores/pairing-store.interface.js';
import type { RelayMetrics } from '../connection/p2p-connection.state.js';
import { type ClusterFrame, ClusterMessage } from './cluster.message.js';
import { newTaggedRequestId, nodeTagOf } from './node.address.js';
import type { FrameFailure, NodeChannel } from './node.channel.js';

/** What a node does when another node asks: the gateway's local operations. */
export interface LocalNode {
  setLocalPeer(connectionId: string, peer: PeerRef | undefined): void;
  relayWithAckLocally(connectionId: string, event: string, args: unknown[], outcome: AckOutcome): boolean;
  answerLocalRequest(request: PairingRequest, error?: P2pError, e2e?: E2eCommitAnswer): void;
  /** Closes a connection of this node. */
  disconnect(connectionId: string): void;
  /**
   * Another node closed a connection of this node that had dropped already: its session resumed there, or it was
   * displaced or removed there. Its reconnect grace on this node ends now, and what it held for its peer is freed.
   */
  takenElsewhere(connectionId: string): void;
  /** Counts the frames between nodes, when metrics or the control center are on. */
  readonly metrics?: RelayMetrics;
}

/** Extra time a remote ack may take over `ackTimeoutMs`: the round trip between nodes. */
const NODE_HOP_MS = 2_000;
/** How often awaited remote acks are checked against their deadline (one timer for all of them). */
const ACK_SWEEP_MS = 250;

interface PendingAck {
  outcome: AckOutcome;
  /** The connection that owes the ack. */
  connectionId: string;
  event: string;
  deadline: number;
}

const NO_RESULTS: unknown[] = [];

/** Posts a relay-with-ack's outcome back to the node of its sender (`ClusterLink.reply`). */
type ReplyPoster = (replyTag: string, ackId: number, error: P2pError | undefined, results: unknown[]) => void;

/** The sender's side of a relay with ack that came from another node: its outcome goes back to that node. */
class RemoteAckOutcome implements AckOutcome {
  constructor(
    private readonly post: ReplyPoster,
    private readonly replyTag: string,
    private readonly ackId: number,
  ) {}

  settle(error: P2pError | undefined, results: unknown[]): void {
    this.post(this.replyTag, this.ackId, error, results);
  }
}

/**
 * Reaches connections held by other gateway nodes. Every connection id and request id names its node
 * (node-address.ts), so each message goes to that node's channel only (NodeChannel): a node that holds neither end of
 * a relay never receives it.
 */
export class ClusterLink {
  /** Relay acks this node awaits from other nodes, by ack id, in the order they were asked (so by deadline). */
  private readonly pendingAcks = new Map<number, PendingAck>();

  /** How many relay acks from other nodes are awaited (diagnostics: 0 once the traffic is over). */
  get pendingAckCount(): number {
    return this.pendingAcks.size;
  }
  private nextAckId = 0;
  private ackSweep?: NodeJS.Timeout;

  constructor(
    private readonly namespace: Namespace,
    private readonly local: LocalNode,
    private readonly channel: NodeChannel,
    private readonly ackTimeoutMs: number,
  ) {}

  /** This node's tag: the prefix of its connection ids and request ids. */
  get tag(): string {
    return this.channel.tag;
  }

  /** Takes the frames other nodes address to this one. */
  listen(): void {
    this.channel.attach({
      onFrames: (frames) => {
        for (const frame of frames) {
          this.local.metrics?.cluster('received', frame[0]);
          this.receive(frame);
        }
      },
      onFailed: (frame, failure, tag) => this.undelivered(frame, failure, tag),
    });
  }

  /** Publishes what is queued and waits for it (a draining node, before it lets go of Redis). */
  flush(): Promise<void> {
    return this.channel.flush();
  }

  /** Settles every relay ack still awaited from other nodes and stops taking frames (shutdown). */
  close(): void {
    this.channel.detach();
    clearInterval(this.ackSweep);
    this.ackSweep = undefined;
    const pending = [...this.pendingAcks.values()];
    this.pendingAcks.clear();
    for (const ack of pending) {
      ack.outcome.settle(new P2pError('PEER_DISCONNECTED', 'the gateway is shutting down', P2pEvent.EMIT_ACKNOWLEDGE), NO_RESULTS);
    }
  }

  /** A request id naming this node, where its source is connected: whichever node settles it can answer here. */
  newRequestId(): string {
    return newTaggedRequestId(this.channel.tag);
  }

  /**
   * Clients removed without their node's help (it died): the relay acks their connections owe fail with
   * PEER_DISCONNECTED instead of waiting for ACK_TIMEOUT, here and on the nodes of their peers (the only clients
   * that relay to them).
   */
  connectionsGone(removed: RemovedClient[]): void {
    if (removed.length === 0) return;
    const connectionIds = removed.map((client) => client.record.connectionId);
    this.settleAcksOwedBy(connectionIds);
    const tags = new Set<string>();
    for (const { other } of removed) {
      const tag = other && nodeTagOf(other.connectionId);
      if (tag !== undefined && tag !== this.channel.tag) tags.add(tag);
    }
    for (const tag of tags) {
      this.local.metrics?.cluster('sent', ClusterMessage.CONNECTIONS_GONE);
      this.channel.post(tag, [ClusterMessage.CONNECTIONS_GONE, connectionIds]);
    }
  }

  send(connectionId: string, event: string, args: unknown[]): void {
    this.post(connectionId, [ClusterMessage.SEND, connectionId, event, args]);
  }

  disconnect(connectionId: string): void {
    // A connection of this node whose socket is gone: this node settles its grace itself (a resume here takes what
    // it held), so there is nothing to tell.
    if (nodeTagOf(connectionId) === this.channel.tag) return;
    this.post(connectionId, [ClusterMessage.DISCONNECT, connectionId]);
  }

  setPeer(connectionId: string, peer: PeerRef | undefined): void {
    this.post(connectionId, [ClusterMessage.SET_PEER, connectionId, peer ?? null]);
  }

  /** Answers the source of a request opened on another node: the node its request id names. */
  requestDone(request: PairingRequest, error?: P2pError, e2e?: E2eCommitAnswer): void {
    const { requestId, sourceId, targetId } = request;
    const done = [ClusterMessage.REQUEST_DONE, requestId, sourceId, targetId, error?.toPayload() ?? null] as const;
    // The target's e2e key rides along only when there is one: a node of an earlier release reads the first five.
    this.post(requestId, e2e ? [...done, e2e] : [...done]);
  }

  relayWithAck(connectionId: string, event: string, args: unknown[], outcome: AckOutcome): void {
    const ackId = ++this.nextAckId;
    this.pendingAcks.set(ackId, { outcome, connectionId, event, deadline: Date.now() + this.ackTimeoutMs + NODE_HOP_MS });
    this.ackSweep ??= setInterval(() => this.expireAcks(), ACK_SWEEP_MS);
    this.post(connectionId, [ClusterMessage.RELAY_WITH_ACK, connectionId, event, args, ackId, this.channel.tag]);
  }

  /** Posts `frame` to the node that `id` names; a frame for this node is handled at once (its connection is gone). */
  private post(id: string, frame: ClusterFrame): void {
    const tag = nodeTagOf(id);
    if (tag === this.channel.tag) this.receive(frame);
    else if (tag !== undefined) {
      this.local.metrics?.cluster('sent', frame[0]);
      this.channel.post(tag, frame);
    } else this.undelivered(frame, 'PEER_DISCONNECTED');
  }

  private receive(frame: ClusterFrame): void {
    switch (frame[0]) {
      case ClusterMessage.SEND: {
        const socket = this.namespace.sockets.get(frame[1]);
        if (!socket) return;
        try {
          socket.emit(frame[2], ...frame[3]);
        } catch {
          // Not encodable for Socket.IO (nesting depth): lost, as it would be on the sender's node.
        }
        return;
      }
      case ClusterMessage.DISCONNECT:
        if (this.namespace.sockets.has(frame[1])) this.local.disconnect(frame[1]);
        else this.local.takenElsewhere(frame[1]);
        return;
      case ClusterMessage.SET_PEER:
        this.local.setLocalPeer(frame[1], frame[2] ?? undefined);
        return;
      case ClusterMessage.REQUEST_DONE: {
        const [, requestId, sourceId, targetId, error, e2e] = frame;
        const request = { requestId, sourceId, targetId };
        this.local.answerLocalRequest(request, error ? P2pError.fromPayload(error) : undefined, e2eCommitAnswerOf(e2e));
        return;
      }
      case ClusterMessage.RELAY_WITH_ACK:
        return this.deliverWithAck(frame[1], frame[2], frame[3], frame[4], frame[5]);
      case ClusterMessage.RELAY_REPLY:
        return this.settleAck(frame[1], frame[2], frame[3]);
      case ClusterMessage.CONNECTIONS_GONE:
        return this.settleAcksOwedBy(frame[1]);
    }
  }

  private deliverWithAck(connectionId: string, event: string, args: unknown[], ackId: number, replyTag: string): void {
    const outcome = new RemoteAckOutcome(this.reply, replyTag, ackId);
    let delivered = false;
    try {
      delivered = this.local.relayWithAckLocally(connectionId, event, args, outcome);
    } catch {
      return outcome.settle(new P2pError('INVALID_PAYLOAD', 'the arguments could not be encoded', event), NO_RESULTS);
    }
    if (!delivered) outcome.settle(new P2pError('PEER_DISCONNECTED', undefined, P2pEvent.EMIT_ACKNOWLEDGE), NO_RESULTS);
  }

  /** Sends a relay-with-ack's outcome to the node its sender is on (`replyTag`); one function for every relay. */
  private readonly reply: ReplyPoster = (replyTag, ackId, error, results) => {
    const frame: ClusterFrame = [ClusterMessage.RELAY_REPLY, ackId, error?.toPayload() ?? null, error ? NO_RESULTS : results];
    if (replyTag === this.channel.tag) return this.receive(frame);
    this.local.metrics?.cluster('sent', ClusterMessage.RELAY_REPLY);
    this.channel.post(replyTag, frame);
  };

  private settleAck(ackId: number, error: P2pErrorPayload | null, results: unknown[]): void {
    const pending = this.pendingAcks.get(ackId);
    if (!pending) return;
    this.pendingAcks.delete(ackId);
    if (error) pending.outcome.settle(P2pError.fromPayload(error), NO_RESULTS);
    // The results are handed over (the sender's side may put its `null` in front of them in place).
    else pending.outcome.settle(undefined, Array.isArray(results) ? results : []);
  }

  /** A frame of this node's that did not reach its node: what waits on it is told, the rest is lost. */
  private undelivered(frame: ClusterFrame, failure: FrameFailure, tag?: string): void {
    if (frame[0] === ClusterMessage.RELAY_WITH_ACK) {
      const [, , event, , ackId] = frame;
      const error =
        failure === 'INVALID_PAYLOAD'
          ? new P2pError(failure, 'the arguments could not be encoded', event)
          : new P2pError(failure, undefined, P2pEvent.EMIT_ACKNOWLEDGE);
      this.settleAck(ackId, error.toPayload(), NO_RESULTS);
    } else if (frame[0] === ClusterMessage.RELAY_REPLY && failure === 'INVALID_PAYLOAD' && tag !== undefined) {
      // The peer's answer cannot travel: its sender gets INVALID_PAYLOAD instead, as on a single node.
      const error = new P2pError('INVALID_PAYLOAD', 'the acknowledgement could not be encoded', P2pEvent.EMIT_ACKNOWLEDGE);
      this.local.metrics?.cluster('sent', ClusterMessage.RELAY_REPLY);
      this.channel.post(tag, [ClusterMessage.RELAY_REPLY, frame[1], error.toPayload(), NO_RESULTS]);
    }
  }

  private expireAcks(): void {
    const now = Date.now();
    for (const [ackId, pending] of this.pendingAcks) {
      // The timeout is the same for all, so deadlines come in insertion order: stop at the first still running.
      if (pending.deadline > now) return;
      this.pendingAcks.delete(ackId);
      pending.outcome.settle(new P2pError('ACK_TIMEOUT', ackTimeoutMessage(pending.event), P2pEvent.EMIT_ACKNOWLEDGE), NO_RESULTS);
    }
    clearInterval(this.ackSweep);
    this.ackSweep = undefined;
  }

  private settleAcksOwedBy(connectionIds: string[]): void {
    const gone = new Set(connectionIds);
    for (const [ackId, pending] of this.pendingAcks) {
      if (!gone.has(pending.connectionId)) continue;
      this.pendingAcks.delete(ackId);
      pending.outcome.settle(new P2pError('PEER_DISCONNECTED', undefined, P2pEvent.EMIT_ACKNOWLEDGE), NO_RESULTS);
    }
  }
}
