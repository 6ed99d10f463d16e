import type { P2pFrame } from 'nest-p2p-gateway-protocol';

/**
 * A way to carry the reliable channel's frames to the peer: through the gateway (`P2P_FRAME`), or later a direct
 * data channel. The channel never assumes a path delivers everything: it numbers, confirms and resends.
 */
export interface FramePath {
  /** Sends one frame to the peer; false when this path cannot carry it now (closed, or not open yet). */
  send(frame: P2pFrame): boolean;
}
