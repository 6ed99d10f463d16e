import type { P2pError } from 'nest-p2p-gateway-protocol';
import type { IncomingStream } from './incoming-stream.interface.js';

/** What streams need from their client: the current pairing's reliable channel, and the app's `stream` listeners. */
export interface StreamHost {
  /** Sends an internal message over the pairing's reliable channel; NOT_PAIRED (or BUFFER_FULL) when it cannot. */
  send(event: string, args: unknown[]): P2pError | undefined;
  /**
   * Whether a chunk may join the channel now: it is paced and leaves room for the app's own messages (the channel
   * sends all it holds at once, and the stream chunks never take more than half of its window).
   */
  room(): boolean;
  /** Whether the pair's frames go over the direct path (WebRTC) now, rather than through the gateway. */
  direct(): boolean;
  /** Whether the peer takes streams; undefined until it sent a frame of this pairing. */
  peerStreams(): boolean | undefined;
  /** Hands a new incoming stream to the app's `stream` listeners; false when there is none. */
  announce(incoming: IncomingStream): boolean;
}
