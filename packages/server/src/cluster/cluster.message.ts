import type { E2eCommitAnswer, P2pErrorPayload } from 'nest-p2p-gateway-protocol';
import type { PeerRef } from '../pairing/client-transport.interface.js';

/**
 * Messages between gateway nodes. Each goes to the one node it concerns, on that node's channel (NodeChannel), as a
 * frame: an array whose first element is the kind. Frames bound for one node within an event-loop turn travel
 * together, encoded once.
 */
export const ClusterMessage = {
  /** `[SEND, connectionId, event, args]`: emit `event(...args)` to the connection (relays and notices). */
  SEND: 0,
  /** `[DISCONNECT, connectionId]`: close the connection (a newer one of its session took over, or the host app asked). */
  DISCONNECT: 1,
  /** `[SET_PEER, connectionId, peer | null]`: update the connection's cached peer. */
  SET_PEER: 2,
  /**
   * `[REQUEST_DONE, requestId, sourceId, targetId, error | null, e2e?]`: answer the source of a request opened there;
   * `e2e`, the target's e2e key with its consent (`E2eCommitAnswer`), when it had one.
   */
  REQUEST_DONE: 3,
  /**
   * `[RELAY_WITH_ACK, connectionId, event, args, ackId, replyTag]`: deliver `event(...args, callback)` and answer the
   * node `replyTag` with RELAY_REPLY.
   */
  RELAY_WITH_ACK: 4,
  /** `[RELAY_REPLY, ackId, error | null, results]`: the outcome of a RELAY_WITH_ACK, for the node that asked. */
  RELAY_REPLY: 5,
  /** `[CONNECTIONS_GONE, connectionIds]`: connections removed without their node's help; the acks they owe fail. */
  CONNECTIONS_GONE: 6,
} as const;

type Kinds = typeof ClusterMessage;

export type ClusterFrame =
  | [kind: Kinds['SEND'], connectionId: string, event: string, args: unknown[]]
  | [kind: Kinds['DISCONNECT'], connectionId: string]
  | [kind: Kinds['SET_PEER'], connectionId: string, peer: PeerRef | null]
  | [
      kind: Kinds['REQUEST_DONE'],
      requestId: string,
      sourceId: string,
      targetId: string,
      error: P2pErrorPayload | null,
      e2e?: E2eCommitAnswer,
    ]
  | [kind: Kinds['RELAY_WITH_ACK'], connectionId: string, event: string, args: unknown[], ackId: number, replyTag: string]
  | [kind: Kinds['RELAY_REPLY'], ackId: number, error: P2pErrorPayload | null, results: unknown[]]
  | [kind: Kinds['CONNECTIONS_GONE'], connectionIds: string[]];
