import type { P2pFrame } from 'nest-p2p-gateway-protocol';
import { estimateBytes } from './payload-size.estimate.js';
import type { ResolvedReliableOptions } from './reliable-channel.options.js';

/** Room for the acknowledgements and syncs that may come with a window of messages. */
const CONTROL_FRAMES = 64;

/**
 * Reliable-channel frames that reach this client between the server pairing it and this client reading the server's
 * answer. The server pairs both sides in one step and relays the peer's frames at once, but each side starts its
 * channel only once it has read its own ack: the ack and the peer's first frames often arrive in one socket read (the
 * channel then starts a microtask too late for them), and across cluster nodes the peer's frames can even overtake
 * the ack. Dropped, they would wait for the sender's retransmit timer and cross the gateway twice; kept here, they go
 * to the channel the moment it starts. Bounded by this side's own window (messages and bytes): past it a frame is
 * dropped and the sender's retransmission recovers it, as on any lossy path.
 */
export class EarlyFrames {
  private frames: P2pFrame[] = [];
  private bytes = 0;

  constructor(private readonly options: ResolvedReliableOptions) {}

  hold(frame: P2pFrame): void {
    const bytes = estimateBytes(frame);
    if (this.frames.length >= this.options.windowMessages + CONTROL_FRAMES || this.bytes + bytes > this.options.windowBytes) return;
    this.frames.push(frame);
    this.bytes += bytes;
  }

  /** The frames held, in arrival order; the buffer is empty afterwards. */
  take(): P2pFrame[] {
    const frames = this.frames;
    this.frames = [];
    this.bytes = 0;
    return frames;
  }
}
