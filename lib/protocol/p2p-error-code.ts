/** Stable error codes. A code is never renamed or reused; the message may be reworded. */
export const P2pErrorCode = {
  INVALID_CLIENT_ID: 'INVALID_CLIENT_ID',
  CLIENT_ID_TAKEN: 'CLIENT_ID_TAKEN',
  INVALID_PAYLOAD: 'INVALID_PAYLOAD',
  SELF_PAIRING: 'SELF_PAIRING',
  TARGET_OFFLINE: 'TARGET_OFFLINE',
  TARGET_BUSY: 'TARGET_BUSY',
  SOURCE_BUSY: 'SOURCE_BUSY',
  PAIR_REFUSED: 'PAIR_REFUSED',
  PAIR_TIMEOUT: 'PAIR_TIMEOUT',
  PEER_DISCONNECTED: 'PEER_DISCONNECTED',
  NO_PENDING_REQUEST: 'NO_PENDING_REQUEST',
  NOT_PAIRED: 'NOT_PAIRED',
  TARGET_NOT_PEER: 'TARGET_NOT_PEER',
  RESERVED_EVENT: 'RESERVED_EVENT',
  ACK_TIMEOUT: 'ACK_TIMEOUT',
  REQUEST_TIMEOUT: 'REQUEST_TIMEOUT',
  NOT_CONNECTED: 'NOT_CONNECTED',
  INTERNAL_ERROR: 'INTERNAL_ERROR',
  UNAUTHORIZED: 'UNAUTHORIZED',
  PAIR_FORBIDDEN: 'PAIR_FORBIDDEN',
  RATE_LIMITED: 'RATE_LIMITED',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  CAPACITY: 'CAPACITY',
  BUFFER_FULL: 'BUFFER_FULL',
  STORE_UNAVAILABLE: 'STORE_UNAVAILABLE',
  UPGRADE_FORBIDDEN: 'UPGRADE_FORBIDDEN',
} as const;

export type P2pErrorCode = (typeof P2pErrorCode)[keyof typeof P2pErrorCode];

/** The default human message of each code. */
export const P2P_ERROR_MESSAGES: Readonly<Record<P2pErrorCode, string>> = {
  INVALID_CLIENT_ID: 'clientId is missing or invalid',
  CLIENT_ID_TAKEN: 'clientId is held by another live connection',
  INVALID_PAYLOAD: 'the event arguments are malformed',
  SELF_PAIRING: 'a client cannot pair with itself',
  TARGET_OFFLINE: 'the target client is not connected',
  TARGET_BUSY: 'the target client is paired or being asked already',
  SOURCE_BUSY: 'this client is paired or has a pairing request open already',
  PAIR_REFUSED: 'the target client refused the pairing',
  PAIR_TIMEOUT: 'the target client did not answer the pairing request in time',
  PEER_DISCONNECTED: 'the other client left',
  NO_PENDING_REQUEST: 'there is no pairing request to answer',
  NOT_PAIRED: 'this client is not paired',
  TARGET_NOT_PEER: 'the target client is not the current peer',
  RESERVED_EVENT: 'this event name is reserved and cannot be relayed',
  ACK_TIMEOUT: 'the peer did not acknowledge in time',
  REQUEST_TIMEOUT: 'the server did not answer in time',
  NOT_CONNECTED: 'the connection to the server closed before the answer came',
  INTERNAL_ERROR: 'the server failed to handle the request',
  UNAUTHORIZED: 'the connection could not be authenticated',
  PAIR_FORBIDDEN: 'the server policy does not allow this pairing',
  RATE_LIMITED: 'too many messages, bytes or requests in too short a time',
  PAYLOAD_TOO_LARGE: 'the relayed message is larger than the server allows',
  CAPACITY: 'the server has as many clients as it accepts',
  BUFFER_FULL: 'the peer is reconnecting and its buffer of undelivered messages is full',
  STORE_UNAVAILABLE: 'the server cannot reach its shared pairing store right now; try again',
  UPGRADE_FORBIDDEN: 'the server does not allow a direct (WebRTC) connection for this pairing',
};

export function isP2pErrorCode(value: unknown): value is P2pErrorCode {
  return typeof value === 'string' && Object.hasOwn(P2P_ERROR_MESSAGES, value);
}
