import type { P2pErrorCode } from './p2p-error-code.js';

/** What `P2P_EMIT` and `P2P_EMIT_ACKNOWLEDGE` carry. `targetClientId` may be left out: the current peer is meant. */
export interface RelayPayload {
  targetClientId?: string;
  event: string;
  args?: unknown[];
}

/** A failure on the wire: the `P2P_ERROR` event's argument and the error of error-first acks. */
export interface P2pErrorPayload {
  code: P2pErrorCode;
  message: string;
  event?: string;
}

/** `LIST_CLIENTS`' optional first argument. */
export interface ListClientsFilter {
  /** Only clients that are neither paired nor in a pairing request. */
  available?: boolean;
}

/** The ack of `P2P_REGISTER`, `P2P_REGISTER_SUCCESS/FAILED` and `P2P_UNREGISTER`: a boolean first, for original clients. */
export type ControlAck = (ok: boolean, error?: P2pErrorPayload) => void;

/** What a client may put in `handshake.auth` (or, except the token, in the query string). */
export interface P2pHandshakeAuth {
  clientId: string;
  /** A random secret that lets the same client take its id back from a socket the server still thinks alive. */
  sessionToken?: string;
  /** The protocol version the client speaks; 2 and above get error-first relay acks. */
  p2pProtocol?: number;
}

/** `P2P_SESSION`'s argument. */
export interface SessionPayload {
  resumed: boolean;
  peerId?: string;
}

/**
 * What travels the data channel's way from one member of a pairing to the other through `P2P_SIGNAL` (protocol 3).
 * `pathId` (1 to 64 characters) names the negotiation attempt, so that a late signal of an earlier attempt is not
 * taken for one of the current attempt.
 */
export type SignalPayload =
  | { type: 'offer' | 'answer'; sdp: string; pathId?: string; targetClientId?: string }
  | { type: 'candidate'; candidate: string; sdpMid?: string | null; sdpMLineIndex?: number | null; pathId?: string; targetClientId?: string }
  | { type: 'bye'; pathId?: string; targetClientId?: string };

/** A `P2P_SIGNAL` as the peer receives it: the fields checked by the server, and who sent it. */
export type DeliveredSignal = SignalPayload & { sourceClientId: string };

/** One ICE server, as `RTCPeerConnection` takes it. */
export interface P2pIceServer {
  urls: string | string[];
  username?: string;
  credential?: string;
}

/** The answer to `P2P_WEBRTC_CONFIG`. `allowed` false: the server policy (or its options) rule a direct path out. */
export interface WebRtcConfigPayload {
  allowed: boolean;
  iceServers: P2pIceServer[];
}

/** The path a paired client's traffic takes. */
export type P2pTransport = 'relay' | 'direct';

/** `P2P_TRANSPORT`'s argument. */
export interface TransportPayload {
  transport: P2pTransport;
}
