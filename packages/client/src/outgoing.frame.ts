import type { P2pFrame } from 'nest-p2p-gateway-protocol';
import type { OutgoingMessage } from './reliable-channel-host.interface.js';

/** What a frame adds to its message on the wire (packet type, event name, keys, numbers), roughly. */
export const FRAME_OVERHEAD_BYTES = 48;

/**
 * The frame that carries `message`, with this side's acknowledgement `c` (and its tag `t`, end-to-end encryption) and
 * capabilities `k`: a skipped number (its tag `u`, end-to-end encryption), a
 * sealed message (end-to-end encryption: its event, arguments and reply number travel inside `z`), a reply, or a
 * message.
 */
export function frameOf(message: OutgoingMessage, ack: Pick<P2pFrame, 'c' | 't'>, k: number): P2pFrame {
  if (message.skipped !== undefined) {
    const skip: P2pFrame = { s: message.seq, ...ack, x: message.skipped, k };
    if (message.skipTag !== undefined) skip.u = message.skipTag;
    return skip;
  }
  if (message.sealed !== undefined) return { s: message.seq, ...ack, z: message.sealed, k };
  if (message.replyTo !== undefined) return { s: message.seq, ...ack, r: message.replyTo, a: message.args, k };
  return message.wantsReply
    ? { s: message.seq, ...ack, e: message.event, a: message.args, w: 1, k }
    : { s: message.seq, ...ack, e: message.event, a: message.args, k };
}
