import type { P2pFrame } from 'nest-p2p-gateway-protocol';
import type { OutgoingMessage } from './reliable-channel-host.interface.js';

/**
 * What seals a reliable channel's messages end to end (docs/e2e.md): the channel hands it each message as it takes
 * it, and each numbered frame of the peer, in order, before it counts the frame as received.
 */
export interface ChannelSealer {
  /** Capability bits (`k`) the channel announces besides end-to-end encryption's (sealed batches). */
  readonly capabilities?: number;
  /**
   * A message enters the channel, numbered. The sealer may set `held` (the channel sends nothing from it on until it
   * is cleared) and later set `sealed` (the ciphertext, sent in place of the message's event, arguments and reply
   * number: a retransmission sends the same bytes), then clear `held` and call `release` (the
   * channel sends what its window allows).
   */
  admit(message: OutgoingMessage, release: () => void): void;
  /**
   * A numbered frame of the peer, next in order: the message in the clear (the messages, numbered from the frame's,
   * for a sealed batch), or undefined to drop it (the sealer reports why). The channel opens one frame at a time, in
   * order, and counts it as received only once it is opened.
   */
  open(frame: P2pFrame): Promise<P2pFrame | P2pFrame[] | undefined>;
  /**
   * The same frame as it arrives, before the frames ahead of it are opened: its opening when that can start now (the
   * keys are known), so that frames open in parallel and are still counted in order: the message itself when it opened
   * at once (synchronous AES-GCM), else a promise of it (undefined: dropped); undefined to have it opened in order
   * (`open`).
   */
  openEarly?(frame: P2pFrame): P2pFrame | P2pFrame[] | Promise<P2pFrame | P2pFrame[] | undefined> | undefined;
  /**
   * The tag `t` of this side's acknowledgement `c`, when it is at hand; undefined otherwise (no keys yet; or computing:
   * `ready` is called once it is). With `checkAck`, the peer's sealed messages are confirmed only by tagged ones.
   */
  ackTag?(c: number, ready: () => void): string | undefined;
  /** Whether `tag` is the peer's genuine tag of its acknowledgement `c` (false without keys). */
  checkAck?(c: number, tag: unknown): boolean | Promise<boolean>;
  /**
   * A message of this side became a skipped number (the server refused it for good): the sealer sets its `skipTag`,
   * at once or, holding it meanwhile (`held`), later, then clears `held` and calls `release`.
   */
  skip?(message: OutgoingMessage, release: () => void): void;
}
