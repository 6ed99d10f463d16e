import type { P2pFrame } from 'nest-p2p-gateway-protocol';
import type { OutgoingMessage } from './reliable-channel-host.interface.js';

/** What a frame adds to its message on the wire (packet type, event name, keys, numbers), roughly. */
export const FRAME_OVERHEAD_BYTES = 48;

/**
 * The frame that carries `message`, with this side's acknowledgement `c` (and its tag `t`, end-to-end encryption) and
 * capabilities `k`: a skipped number (its tag `u`, end-to-end encryption), a sealed message (end-to-end encryption:
 * its event, arguments and reply number travel inside `z`), a reply, or a message.
 */
export function frameOf(message: OutgoingMessage, c: number, k: number, t?: string): P2pFrame {
  if (message.sealed !== undefined && message.skipped === undefined) {
    const sealed: P2pFrame = t === undefined ? { s: message.seq, c, z: message.sealed, k } : { s: message.seq, c, t, z: message.sealed, k };
    if (message.batchSize !== undefined) sealed.n = message.batchSize;
    return sealed;
  }
  const frame = plainFrameOf(message, c, k);
  if (t !== undefined) frame.t = t;
  return frame;
}

/** An unnumbered frame (an acknowledgement, a sync) with this side's acknowledgement, its tag if any, and `k`. */
export function controlFrameOf(frame: P2pFrame, c: number, k: number, t?: string): P2pFrame {
  return t === undefined ? { ...frame, c, k } : { ...frame, c, t, k };
}

function plainFrameOf(message: OutgoingMessage, c: number, k: number): P2pFrame {
  if (message.skipped !== undefined) {
    return message.skipTag === undefined
      ? { s: message.seq, c, x: message.skipped, k }
      : { s: message.seq, c, x: message.skipped, u: message.skipTag, k };
  }
  if (message.replyTo !== undefined) return { s: message.seq, c, r: message.replyTo, a: message.args, k };
  return message.wantsReply
    ? { s: message.seq, c, e: message.event, a: message.args, w: 1, k }
    : { s: message.seq, c, e: message.event, a: message.args, k };
}

/** The estimated bytes of the `count` messages of `outgoing` from `index` on (a sealed batch's). */
export function bytesOf(outgoing: readonly OutgoingMessage[], index: number, count: number): number {
  let bytes = 0;
  for (let i = index; i < index + count && i < outgoing.length; i++) bytes += outgoing[i]!.bytes;
  return bytes;
}

/**
 * How many of the first `count` messages of `outgoing` leave it when the peer confirms them: a sealed batch leaves
 * whole, once the last of its messages is confirmed (the peer acknowledges from inside a batch as it counts its
 * messages; were the batch's start gone, the rest could never be sent again).
 */
export function wholeBatches(outgoing: readonly OutgoingMessage[], count: number): number {
  while (count > 0 && outgoing[count]?.batched) count--;
  return count;
}

/**
 * The message at `index` and, when it starts a sealed batch, the other messages of the batch, each now a message of
 * its own (for skipped numbers: a batch the server refused for good).
 */
export function unbatch(outgoing: readonly OutgoingMessage[], index: number): OutgoingMessage[] {
  const messages = outgoing.slice(index, index + (outgoing[index]?.batchSize ?? 1));
  for (const message of messages) message.batchSize = message.batched = undefined;
  return messages;
}
