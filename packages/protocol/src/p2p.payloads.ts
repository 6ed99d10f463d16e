import type { P2pErrorCode } from './p2p-error.codes.js';

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
  /** For a refused `P2P_FRAME`: the refused frame's sequence number, when it had one. */
  seq?: number;
}

/** `LIST_CLIENTS`' optional first argument. */
export interface ListClientsFilter {
  /** Only clients that are neither paired nor in a pairing request. */
  available?: boolean;
  /**
   * Protocol 2+: asks for a page, answered as a `ClientListPage`: null for the first page, then the previous page's
   * `next`. Without `cursor` or `limit` the answer is the original `string[]` (the first page only).
   */
  cursor?: string | null;
  /** Protocol 2+: asks for a page of at most this many clients (the server's `listPageSize` at most). */
  limit?: number;
}

/** The answer to a `LIST_CLIENTS` that asked for a page (`cursor` or `limit` in its filter). */
export interface ClientListPage {
  clients: string[];
  /** The cursor of the next page; null once the walk is over. */
  next: string | null;
}

/** The answer to a `LIST_CLIENTS` page request that failed (LIST_FORBIDDEN, RATE_LIMITED, ...). */
export interface ClientListFailure {
  error: P2pErrorPayload;
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
  /**
   * Protocol 3: the clientId the gateway admitted this connection under (from `auth`, the `clientId` query, or the
   * app's authenticator), so a client that did not declare it in `auth` still knows it.
   */
  clientId?: string;
  peerId?: string;
  /** Protocol 3: the resumed peer's protocol version. */
  peerProtocol?: number;
  /** Protocol 3, to a client that declared `p2pWebRtc`: whether the resumed peer did too (see PeerInfo). */
  peerWebRtc?: boolean;
  /**
   * Protocol 3: this connection's relay rates (absent: no limit), so the reliable channel paces itself under them
   * rather than have its frames refused with RATE_LIMITED.
   */
  rates?: RelayRates;
  /**
   * Protocol 3: the largest message this connection may relay, in bytes as the gateway measures it (absent: no limit),
   * so a client sizes what it splits (stream chunks) to fit rather than have it refused with MESSAGE_TOO_LARGE.
   */
  maxMessageBytes?: number;
  /**
   * Protocol 3, to a client that declared `auth.p2pE2eCommit`: this gateway carries the end-to-end key exchange's
   * pre-commitment with the pairing (`E2eCommitRequest`, `E2eCommitAnswer`; docs/e2e.md). Absent: it does not.
   */
  e2eCommit?: boolean;
}

/** A connection's relay rates: messages and bytes per second, with the bursts allowed after a quiet period. */
export interface RelayRates {
  messages?: { perSecond: number; burst: number };
  bytes?: { perSecond: number; burst: number };
}

/**
 * Protocol 3: what a pairing's start tells each side of the other, as the last argument of the source's
 * `P2P_REGISTER` ack (`ack(true, null, info)`) and of the `P2P_REGISTER` event to the target
 * (`(sourceClientId, info)`). Only protocol-3 clients get it.
 */
export interface PeerInfo {
  peerProtocol: number;
  /**
   * Only to a client that declared WebRTC at handshake (`auth.p2pWebRtc: true`): whether the peer declared it too. The
   * client tries a direct path only when it did; without the field (an older gateway) it tries as before.
   */
  peerWebRtc?: boolean;
  /**
   * To a target that declared `auth.p2pE2eCommit`, with the `P2P_REGISTER` of a source that sent one: the source's
   * commitment to its e2e key (`E2eCommitRequest`). The target answers with its key only after it saw it.
   */
  e2eCommitment?: string;
  /** To the source of such a request, with its ack: the target's e2e key and nonce (`E2eCommitAnswer`). */
  e2eKey?: string;
  e2eNonce?: string;
}

/**
 * The end-to-end key exchange's pre-commitment (docs/e2e.md), for clients that declared `auth.p2pE2eCommit` and were
 * told `e2eCommit` in `P2P_SESSION`: the source's `P2P_REGISTER(targetClientId, E2eCommitRequest, ack)`. The gateway
 * passes it on to the target (PeerInfo's `e2eCommitment`) only when the target declared the ability too, and keeps it
 * no longer than the request is open. SHA-256 over a label, the source's X25519 public key and nonce, base64.
 */
export interface E2eCommitRequest {
  e2eCommitment: string;
}

/**
 * The target's consent to a request that carried `e2eCommitment`: `P2P_REGISTER_SUCCESS(sourceClientId,
 * E2eCommitAnswer, ack)`, its X25519 public key (32 bytes) and nonce (16 bytes), base64. The gateway passes them to
 * the source with the pairing's answer (PeerInfo's `e2eKey`, `e2eNonce`) and tells the target it did with
 * `ack(true, null, {e2eCommitted: true})`; without that the pairing runs the key exchange in its channel.
 */
export interface E2eCommitAnswer {
  e2eKey: string;
  e2eNonce: string;
}

/**
 * Protocol 3: one frame of the reliable channel, relayed unchanged between two paired protocol-3 clients. The keys are
 * short because a frame travels with every message. Each direction numbers its messages 1, 2, 3... per pairing.
 * - a message: `{s, e, a, w?}` (`w: 1` asks for a reply);
 * - a reply to message `r`: `{s, r, a}` (a message itself, so it is numbered and confirmed too);
 * - a skipped number: `{s, x: code}` (the server refused that message for good; the receiver just moves on);
 * - `c` on any frame: every message up to `c` from the other side has arrived (cumulative acknowledgement);
 * - `y: 1` asks the other side to send again what came after `c` and to answer with `y: 2` and its own `c`;
 * - `k` on any frame: what the sending side can do (bit 1: streams, see `P2pStreamEvent`; bit 2: end-to-end encryption);
 * - a sealed message (end-to-end encryption, docs/e2e.md): `{s, z}`, `z` the AES-GCM ciphertext of its `e`, `a`, `w`
 *   or `r`.
 */
export interface P2pFrame {
  s?: number;
  c?: number;
  e?: string;
  a?: unknown[];
  w?: 1;
  r?: number;
  x?: string;
  y?: 1 | 2;
  /** Capabilities of the sending side, a bit field (`P2P_FRAME_CAPABILITY_STREAMS`); absent on older clients. */
  k?: number;
  /** End-to-end encryption: the sealed message (base64 text when small, else binary). */
  z?: string | ArrayBuffer | ArrayBufferView;
  /** End-to-end encryption, a sealed batch: `z` seals the `n` messages numbered `s` to `s + n - 1` (absent: one). */
  n?: number;
  /** End-to-end encryption: the tag of the acknowledgement `c` (base64), without which `c` confirms no sealed message. */
  t?: string;
  /** End-to-end encryption: the tag of the skipped number `s` with its code `x` (base64), without which it is not skipped. */
  u?: string;
}

/**
 * What travels the data channel's way from one member of a pairing to the other through `P2P_SIGNAL` (protocol 3).
 * `pathId` (1 to 64 characters) names the negotiation attempt, so that a late signal of an earlier attempt is not
 * taken for one of the current attempt.
 */
export type SignalPayload =
  | { type: 'offer' | 'answer'; sdp: string; pathId?: string; targetClientId?: string }
  | {
      type: 'candidate';
      candidate: string;
      sdpMid?: string | null;
      sdpMLineIndex?: number | null;
      pathId?: string;
      targetClientId?: string;
    }
  | { type: 'bye'; pathId?: string; targetClientId?: string };

/** A `P2P_SIGNAL` as the peer receives it: the fields checked by the server, and who sent it. */
export type DeliveredSignal = SignalPayload & { sourceClientId: string };

/** One ICE server, as `RTCPeerConnection` takes it. */
export interface P2pIceServer {
  urls: string | string[];
  username?: string | undefined;
  credential?: string | undefined;
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
