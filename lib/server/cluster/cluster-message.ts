import type { PackedValues } from './cluster-values.js';

/** Messages between gateway nodes, sent with Socket.IO's `serverSideEmit` over the Redis adapter. */
export const ClusterMessage = {
  /** `(connectionId, peer | null)`: the node holding the connection updates its cached peer. */
  SET_PEER: 'p2p:set-peer',
  /** `(requestId, sourceId, targetId, error | null)`: the node holding the request's source answers it. */
  REQUEST_DONE: 'p2p:request-done',
  /**
   * `(connectionId, event, args, ackId)`: the node holding the connection delivers a relay with ack and answers with
   * RELAY_REPLY. (The adapter's broadcast with ack would keep only the first ack argument, and its request timeout is
   * fixed; the asking node keeps its own bound.)
   */
  RELAY_WITH_ACK: 'p2p:relay-ack',
  /** `(ackId, reply)`: the outcome of a RELAY_WITH_ACK, for the node that asked. */
  RELAY_REPLY: 'p2p:relay-reply',
  /** `(connectionIds)`: connections swept from a dead node (or forgotten by one shutting down); their owed acks fail. */
  CONNECTIONS_GONE: 'p2p:connections-gone',
} as const;

export type RelayReply = { results: PackedValues } | { error: { code: string; message: string; event?: string } };
