import type { P2pFrame } from 'nest-p2p-gateway-protocol';

/**
 * A way to carry the reliable channel's frames to the peer: through the gateway (`P2P_FRAME`), or later a direct
 * data channel. The channel never assumes a path delivers everything: it numbers, confirms and resends.
 */
export interface FramePath {
  /** Sends one frame to the peer; false when this path cannot carry it now (closed, not open yet, or full). */
  send(frame: P2pFrame): boolean;
  /**
   * A path that can be full (a data channel's buffer): after `send` refused a frame, `ready` is called once it takes
   * frames again. A later call replaces an earlier `ready` that was not called yet.
   */
  onceWritable?(ready: () => void): void;
}
