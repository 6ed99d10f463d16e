/**
 * Version 1 is the original plugin's protocol. Version 2 clients declare themselves at handshake
 * (`auth.p2pProtocol` or `?p2pProtocol=2`) and get error-first acks for relays: `ack(null, ...peerResults)` or
 * `ack({code, message, event})`. Version 1 clients get `ack(...peerResults)` and failures as a `P2P_ERROR` event.
 * Version 3 clients also learn their peer's version when a pairing begins or resumes, and two paired version-3
 * clients carry their messages as `P2P_FRAME`s of the reliable channel (sequence numbers, cumulative acks,
 * retransmission), which the server relays without looking inside.
 */
export const P2P_PROTOCOL_VERSION = 3;

/** The first protocol version with the reliable channel (`P2P_FRAME`) and WebRTC signalling (`P2P_SIGNAL`, ...). */
export const P2P_RELIABLE_PROTOCOL = 3;

/** Why a `P2P_DISCONNECT` was sent: its second argument. The host app may also send reasons of its own. */
export const P2pDisconnectReason = {
  /** The peer sent `P2P_UNREGISTER`. */
  UNREGISTERED: 'UNREGISTERED',
  /** The peer's connection closed. */
  DISCONNECTED: 'DISCONNECTED',
  /** The peer's clientId was taken over by a newer connection. */
  REPLACED: 'REPLACED',
  /** The host app ended the pairing (`PairingService.unpair`). */
  SERVER_UNPAIRED: 'SERVER_UNPAIRED',
  /** The pairing request to this client was not completed in time. */
  PAIR_TIMEOUT: 'PAIR_TIMEOUT',
  /** The peer's connection stayed over the server's outbound bound (`slowConsumer`) too long and was closed. */
  SLOW_CONSUMER: 'SLOW_CONSUMER',
} as const;

export type P2pDisconnectReason = (typeof P2pDisconnectReason)[keyof typeof P2pDisconnectReason];
