import { P2P_E2E_MAX_BATCH, type P2pFrame } from 'nest-p2p-gateway-protocol';
import type { ChannelSealer } from './channel-sealer.interface.js';
import { isPromiseLike } from './promise.guard.js';

/** What a frame opens to: its message, or a sealed batch's messages. */
type Opened = P2pFrame | P2pFrame[];

/** What the inbox needs from its channel. */
export interface SealedInboxHost {
  /** The last message from the peer delivered in order. */
  received(): number;
  closed(): boolean;
  /** Counts the opened frame as received and hands its message on (the channel's in-order delivery). */
  accept(frame: P2pFrame): void;
}

/**
 * The receiving side of a sealed reliable channel: the peer's numbered frames, in order, opened by the `ChannelSealer`
 * one after another before the channel counts them as received. A frame the sealer drops (forged, tampered, sent in
 * the clear) is not counted: the frames taken after it are dropped too, and the peer's sender sends the real ones
 * again (Go-Back-N), so a forgery delays the peer's messages and never replaces one.
 */
export class SealedInbox {
  /** The last frame taken in order (opened, or being opened); `received()` once nothing is being opened. */
  accepted = 0;
  private chain: Promise<void> = Promise.resolve();
  /** Frames taken but not yet through the chain: while there are any, a frame opened at once still waits its turn. */
  private pending = 0;
  /** Bumped when a frame is dropped: the frames taken after it are dropped too. */
  private generation = 0;

  constructor(
    private readonly sealer: ChannelSealer,
    private readonly host: SealedInboxHost,
  ) {}

  /** The peer's frame numbered `accepted + 1` (a sealed batch: its messages, numbered from it). */
  take(frame: P2pFrame): void {
    const span = Number.isSafeInteger(frame.n) && frame.n! > 1 && frame.n! <= P2P_E2E_MAX_BATCH ? frame.n! : 1;
    this.accepted = frame.s! + span - 1;
    const generation = this.generation;
    const early = this.sealer.openEarly?.(frame);
    if (early !== undefined && !isPromiseLike(early) && this.pending === 0) {
      // Opened at once, nothing ahead of it being opened: counted now, without a turn of the promise chain.
      this.deliver(early);
      return;
    }
    this.pending++;
    const opening = isPromiseLike(early) ? Promise.resolve(early).catch(() => undefined) : early;
    this.chain = this.chain.then(async () => {
      try {
        await this.settle(frame, generation, opening);
      } finally {
        this.pending--;
      }
    });
  }

  /** The frame's turn in the chain: counted when it opened, else it and the frames taken after it are dropped. */
  private async settle(frame: P2pFrame, generation: number, opening: Opened | Promise<Opened | undefined> | undefined): Promise<void> {
    if (generation !== this.generation || this.host.closed()) return;
    const opened = await (opening ?? this.sealer.open(frame).catch(() => undefined));
    if (generation !== this.generation || this.host.closed()) return;
    if (!opened) {
      this.generation++;
      this.accepted = this.host.received();
      return;
    }
    this.deliver(opened);
  }

  private deliver(opened: Opened): void {
    if (!Array.isArray(opened)) return this.acceptOne(opened);
    // A sealed batch: each message counted and handed on in turn, whatever the app's listener of another did.
    for (const each of opened) if (!this.host.closed()) this.acceptOne(each);
  }

  private acceptOne(opened: P2pFrame): void {
    try {
      this.host.accept(opened);
    } catch (error) {
      // An app listener threw: as it would from a socket's event, outside the channel's own chain.
      queueMicrotask(() => {
        throw error;
      });
    }
  }
}
