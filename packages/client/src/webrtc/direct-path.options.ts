import type { P2pIceServer } from 'nest-p2p-gateway-protocol';
import type { RTCPeerConnectionConstructor } from './peer-connection.interface.js';
import type { SignallingChannel } from './socket.signalling.js';

/** The side that makes the offer; the other answers. Both sides must agree: see `directPathRole`. */
export type DirectPathRole = 'offerer' | 'answerer';

/**
 * `new` until `start()`; `connecting` while negotiating; `open` once the data channel is; then `closed` (it had been
 * open) or `failed` (it never opened). `closed` and `failed` are final: a later attempt is a new DirectPath.
 */
export type DirectPathState = 'new' | 'connecting' | 'open' | 'closed' | 'failed';

export interface DirectPathEvents {
  /** The data channel is open: `send` carries frames from now on. */
  open: () => void;
  /** The path had been open and is gone (`reason`: channel-closed, peer-closed, ice-failed, disconnected, closed, bad-frame). */
  close: (reason: string) => void;
  /**
   * The path ended without ever opening (`reason`: timeout, ice-failed, negotiation: ..., peer-closed, closed, and with
   * `checkFingerprint` E2E_FINGERPRINT_MISMATCH).
   */
  failed: (reason: string) => void;
  /** A frame from the peer. */
  frame: (frame: object) => void;
}

export interface DirectPathOptions {
  role: DirectPathRole;
  signalling: SignallingChannel;
  /**
   * The RTCPeerConnection to use. In Node, `RTCPeerConnection` from `node-datachannel/polyfill`.
   * @default globalThis.RTCPeerConnection
   */
  RTCPeerConnection?: RTCPeerConnectionConstructor | undefined;
  /** From the gateway's `P2P_WEBRTC_CONFIG`. @default [] */
  iceServers?: P2pIceServer[] | undefined;
  /** `'relay'` uses TURN only. @default 'all' */
  iceTransportPolicy?: RTCIceTransportPolicy | undefined;
  /**
   * More fields for the RTCPeerConnection configuration, passed as they are: node-datachannel takes
   * `bindAddress: '127.0.0.1'` (ICE on loopback only), `portRangeBegin`, `portRangeEnd`, ...
   */
  peerConnectionConfig?: Record<string, unknown> | undefined;
  /** Receives each frame from the peer (also emitted as `frame`). */
  onFrame?: ((frame: object) => void) | undefined;
  /** Longest negotiation: not open by then, the path fails with `timeout`. @default 15000 */
  connectTimeoutMs?: number | undefined;
  /** How long an ICE `disconnected` state may last before the path counts as gone. @default 3000 */
  disconnectedTimeoutMs?: number | undefined;
  /** The data channel's label; both sides must use the same. @default 'p2p-frames' */
  label?: string | undefined;
  /**
   * The offerer's name for this negotiation attempt, sent with each of its signals; the answerer takes the one of the
   * offer it answers. Signals naming another attempt (late ones of an earlier attempt) are ignored.
   * @default a random id (offerer)
   */
  pathId?: string | undefined;
  /**
   * The signalling is sealed end to end (option `e2e`): the path opens only if the DTLS fingerprint the peer connection
   * negotiated (its remote certificate where the runtime reports it, else its remote description) is one the peer
   * sent in its description, checked as the description is applied and again as the channel opens; otherwise it fails
   * with `E2E_FINGERPRINT_MISMATCH` (docs/e2e.md). @default false
   */
  checkFingerprint?: boolean | undefined;
  /**
   * The data channel's own backpressure: while it buffers this many bytes (its `bufferedAmount`), `send` refuses
   * numbered frames (acknowledgements still go), and the reliable channel waits for the buffer to fall to a quarter of
   * it (`bufferedamountlow`) before it sends more. @default 1048576 (1 MiB)
   */
  maxBufferedBytes?: number | undefined;
}

/** The reason a path with `checkFingerprint` fails when the fingerprints differ; also the error's code. */
export const FINGERPRINT_MISMATCH = 'E2E_FINGERPRINT_MISMATCH';

/** The usual role choice: the side with the smaller clientId offers. */
export function directPathRole(clientId: string, peerId: string): DirectPathRole {
  return clientId < peerId ? 'offerer' : 'answerer';
}
