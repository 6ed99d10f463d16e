import type { DirectPathOptions } from './direct.path.js';
import type { RetryBackoffOptions } from './retry.backoff.js';

/**
 * Option `webrtc` of `P2pClient`: upgrade each reliable pairing (both sides on protocol 3) to a direct WebRTC data
 * channel when the peer enabled it too and the gateway allows it, with the relay as the fallback.
 */
export interface P2pClientWebRtcOptions extends Pick<
  DirectPathOptions,
  'RTCPeerConnection' | 'peerConnectionConfig' | 'iceTransportPolicy' | 'connectTimeoutMs'
> {
  /**
   * Adapts the ICE servers the gateway hands out to the runtime: `iceServersForNodeDataChannel` with
   * node-datachannel's polyfill (it needs the TURN credentials percent-encoded). Browsers take them as they are.
   */
  adaptIceServers?: ((iceServers: RTCIceServer[]) => RTCIceServer[]) | undefined;
  /**
   * Spacing of the attempts after a failure or a loss (the side with the smaller clientId offers and retries).
   * @default { initialDelayMs: 1000, maxDelayMs: 30000, factor: 2, jitter: 0.2 }
   */
  backoff?: RetryBackoffOptions | undefined;
}
