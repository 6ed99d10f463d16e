import type { P2pFrame } from 'nest-p2p-gateway-protocol';
import type { ReliableChannelHost } from './reliable-channel-host.interface.js';

/**
 * Hands the peer's message in `frame` (counted as received, in order) to the app: a reply to one of this side's
 * messages, or an event with, when the peer awaits an answer, a reply function that answers once (`reply`, the
 * channel's numbered reply). A skipped number hands on nothing.
 */
export function handOn(frame: P2pFrame, host: ReliableChannelHost, reply: (seq: number, results: unknown[]) => void): void {
  if (frame.x !== undefined) return;
  const args = Array.isArray(frame.a) ? frame.a : [];
  if (typeof frame.r === 'number') return host.replied(frame.r, args);
  if (typeof frame.e !== 'string') return;
  const seq = frame.s!;
  let answered = false;
  const answer =
    frame.w === 1
      ? (...results: unknown[]) => {
          if (answered) return;
          answered = true;
          reply(seq, results);
        }
      : undefined;
  host.deliver(frame.e, args, answer);
}
