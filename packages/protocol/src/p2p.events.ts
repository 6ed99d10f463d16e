/**
 * Event names on the wire. The values are those of the original socket.io-p2p-plugin and are a public contract:
 * never rename one. New events are only added.
 */
export const P2pEvent = {
  /** source -> server: `(targetClientId, ack)`; server -> target: `(sourceClientId)`. */
  REGISTER: 'P2P_REGISTER',
  /** target -> server: consent, `([sourceClientId], [ack])`. */
  REGISTER_SUCCESS: 'P2P_REGISTER_SUCCESS',
  /** target -> server: refusal, `([sourceClientId], [ack])`. */
  REGISTER_FAILED: 'P2P_REGISTER_FAILED',
  /** client -> server: leave the current pairing, `([ack])`. */
  UNREGISTER: 'P2P_UNREGISTER',
  /** server -> client: the pairing (or the request to pair) with `peerClientId` ended, `(peerClientId, reason)`. */
  DISCONNECT: 'P2P_DISCONNECT',
  /** client -> server: relay to the peer, `({targetClientId?, event, args}, [ack])`. */
  EMIT: 'P2P_EMIT',
  /** client -> server: relay to the peer, whose acknowledgement comes back, `({targetClientId?, event, args}, ack)`. */
  EMIT_ACKNOWLEDGE: 'P2P_EMIT_ACKNOWLEDGE',
  /** client -> server: `([{available}], ack)`, answered with `string[]` of clientIds. */
  LIST_CLIENTS: 'LIST_CLIENTS',
  /** server -> client: a failure that has no ack to travel on, `({code, message, event})`. */
  ERROR: 'P2P_ERROR',
  /**
   * server -> protocol 2 client, first thing after each connection: `({resumed, peerId?})`. `resumed` is true when the
   * connection took over a pairing held for it (reconnect grace); `peerId` is then its peer.
   */
  SESSION: 'P2P_SESSION',
  /**
   * Protocol 3: one frame of the reliable channel between two paired protocol-3 clients, `(frame)`, relayed as it is
   * (see `P2pFrame`). Refusals come back as `P2P_ERROR` with `event: 'P2P_FRAME'` and the frame's `seq`.
   */
  FRAME: 'P2P_FRAME',
  /**
   * Protocol 3, WebRTC signalling between the two members of a pairing: client -> server `({type, ...}, [ack])` with
   * `type` one of `offer`, `answer`, `candidate`, `bye`; the peer receives `({type, ..., sourceClientId})`. The ack is
   * error-first: `ack(null)` once passed on, `ack(error)` otherwise.
   */
  SIGNAL: 'P2P_SIGNAL',
  /** Protocol 3, client -> server: `(ack)`, answered with `ack(null, {allowed, iceServers})` or `ack(error)`. */
  WEBRTC_CONFIG: 'P2P_WEBRTC_CONFIG',
  /** Protocol 3, client -> server: the path its traffic takes now, `({transport: 'relay' | 'direct'}, [ack])`. */
  TRANSPORT: 'P2P_TRANSPORT',
} as const;

export type P2pEventName = (typeof P2pEvent)[keyof typeof P2pEvent];

/**
 * Names Socket.IO itself uses on either side; relaying one of them would fire the peer's own lifecycle handlers. The
 * union of socket.io-client 2.x's Socket `events` (connect_timeout and connecting included), 4.x's `RESERVED_EVENTS`
 * and the server's own names.
 */
const SOCKET_IO_RESERVED_EVENTS = [
  'connect',
  'connect_error',
  'connect_timeout',
  'connecting',
  'disconnect',
  'disconnecting',
  'error',
  'newListener',
  'removeListener',
  'ping',
  'pong',
  'reconnect',
  'reconnect_attempt',
  'reconnect_error',
  'reconnect_failed',
  'reconnecting',
] as const;

const RESERVED_EVENTS: ReadonlySet<string> = new Set<string>([...SOCKET_IO_RESERVED_EVENTS, ...Object.values(P2pEvent)]);

/** True for names that cannot be relayed: Socket.IO's own, and every name of this protocol (P2P_*). */
export function isReservedEventName(event: string): boolean {
  return RESERVED_EVENTS.has(event) || event.startsWith('P2P_');
}
