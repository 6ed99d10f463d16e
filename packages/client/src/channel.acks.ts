import type { ChannelSealer } from './channel-sealer.interface.js';
import type { OutgoingMessage } from './reliable-channel-host.interface.js';

/** What the acknowledgements need of their channel. */
export interface ChannelAcksHost {
  /** The last message from the peer delivered in order. */
  received(): number;
  closed(): boolean;
  /** Sends an acknowledgement on its own, now. */
  sendAck(): void;
  /** The peer has every message of this side up to `seq`. */
  confirmUpTo(seq: number): void;
}

/**
 * The reliable channel's acknowledgements, both ways. Without end-to-end encryption, `c` is taken as it comes. With it
 * (a sealer that authenticates them, docs/e2e.md), this side tags its `c` (`t`), and the peer's `c` confirms a sealed
 * message only with a genuine tag: a gateway that forges an acknowledgement cannot make this side drop a message the
 * peer never had. Untagged, it confirms only the messages that went in the clear (the key exchange's, sent before any
 * key could tag them); if that one is forged, the exchange stalls and its bound ends the pairing (`E2E_TIMEOUT`).
 */
export class ChannelAcks {
  constructor(
    private readonly sealer: ChannelSealer | undefined,
    private readonly host: ChannelAcksHost,
  ) {}

  /** The tag `t` of this side's acknowledgement `c` (`received`), for the next frame it sends, when it has one. */
  tag(): string | undefined {
    if (!this.sealer?.ackTag) return undefined;
    const c = this.host.received();
    // Nothing received yet: `c: 0` confirms nothing (every peer ignores a `c` below its first number), so no tag, and
    // no control key derived for it on the way of this side's first sealed message.
    if (c === 0) return undefined;
    return this.sealer.ackTag(c, () => {
      // The tag came later (WebCrypto): the peer learns the tagged acknowledgement on a frame of its own.
      if (!this.host.closed() && this.host.received() === c) this.host.sendAck();
    });
  }

  /** The peer's acknowledgement `c` with its tag; `outgoing` the unconfirmed messages, the first `sentCount` sent. */
  take(c: number, tag: unknown, outgoing: readonly OutgoingMessage[], sentCount: number): void {
    const checkAck = this.sealer?.checkAck?.bind(this.sealer);
    if (!checkAck) return this.host.confirmUpTo(c);
    const first = outgoing[0];
    if (!first || c < first.seq) return;
    let clear = 0;
    while (clear < sentCount && isClear(outgoing[clear]!)) clear++;
    const sealedLeft = clear < outgoing.length;
    if (clear > 0) this.host.confirmUpTo(Math.min(c, outgoing[clear - 1]!.seq));
    if (tag === undefined || !sealedLeft) return;
    const genuine = checkAck(c, tag);
    if (genuine === true) this.host.confirmUpTo(c);
    else if (genuine instanceof Promise) void genuine.then((ok) => ok && !this.host.closed() && this.host.confirmUpTo(c));
  }
}

/**
 * A message that went out in the clear: one of the key exchange's (no ciphertext, not held, not a skipped number, not
 * in a sealed batch).
 */
function isClear(message: OutgoingMessage): boolean {
  return message.sealed === undefined && !message.held && message.skipped === undefined && !message.batched;
}
