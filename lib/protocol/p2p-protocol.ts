/**
 * Version 1 is the original plugin's protocol. Version 2 clients declare themselves at handshake
 * (`auth.p2pProtocol` or `?p2pProtocol=2`) and get error-first acks for relays: `ack(null, ...peerResults)` or
 * `ack({code, message, event})`. Version 1 clients get `ack(...peerResults)` and failures as a `P2P_ERROR` event.
 */
export const P2P_PROTOCOL_VERSION = 2;

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
} as const;

export type P2pDisconnectReason = (typeof P2pDisconnectReason)[keyof typeof P2pDisconnectReason];
