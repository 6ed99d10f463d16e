import { P2P_E2E_MAX_BATCH } from 'nest-p2p-gateway-protocol';
import type { OutgoingMessage } from '../reliable-channel-host.interface.js';
import { isPromiseLike } from '../promise.guard.js';
import { type MessageSealer, encodeInner, wireForm } from './message.sealer.js';

/**
 * A sealed batch holds messages whose text adds up to at most this: its frame stays text (base64, `wireForm`), and
 * under the gateway's `maxMessageBytes` when it has one (`textLimitOf`). A batch the server still refuses for good
 * turns each of its messages into a skipped number: none can be sealed again.
 */
const BATCH_TEXT_LENGTH = 3072;
/** Room in a frame besides its sealed text: base64 adds a third, the frame's fields and Socket.IO's envelope the rest. */
const FRAME_ROOM_BYTES = 256;
/** A message whose text is longer than this is sealed on its own (as is one with binary values). */
const ALONE_FROM_LENGTH = 1024;

/** What the batcher needs of its pairing. */
export interface SealBatcherHost {
  /** Whether the pairing is still the current one and not ending (nothing is sealed for it otherwise). */
  live(): boolean;
  /** Sealing failed: the pairing ends. */
  failed(cause: unknown): void;
  /** The gateway's `maxMessageBytes`, when it told it. */
  maxMessageBytes(): number | undefined;
}

/**
 * The longest text (in UTF-16 units, up to 3 bytes each in UTF-8) of a batch's messages for a gateway whose relayed
 * messages may have `maxMessageBytes`: the sealed batch's base64 fits it even if every character took 3 bytes.
 */
function textLimitOf(maxMessageBytes: number | undefined): number {
  if (maxMessageBytes === undefined) return BATCH_TEXT_LENGTH;
  return Math.min(BATCH_TEXT_LENGTH, Math.floor((maxMessageBytes - FRAME_ROOM_BYTES) / 4));
}

/**
 * Seals the app's messages in sealed batches (docs/e2e.md, "Sealed batches") when the peer opens them
 * (`P2P_FRAME_CAPABILITY_E2E_BATCH`): the messages that enter the channel in one turn of the event loop wait, held, for
 * the end of it (a microtask), then consecutive small ones go in one ciphertext and one frame (`n`), up to
 * `P2P_E2E_MAX_BATCH` and `BATCH_TEXT_LENGTH`; the rest each alone. One AES-GCM call, one base64 text and one frame
 * per batch rather than per message. The batch is fixed once sealed: a retransmission sends the same frame, and the
 * numbers inside it are never sealed again (each nonce is used once).
 */
export class SealBatcher {
  private pending: OutgoingMessage[] = [];
  /** The channel's: it sends what its window allows (the same for every message of a channel). */
  private release: () => void = () => undefined;

  constructor(
    private readonly sealer: MessageSealer,
    private readonly host: SealBatcherHost,
  ) {}

  /** A message entered the channel: held until the end of this turn, then sealed (alone or in a batch) and released. */
  add(message: OutgoingMessage, release: () => void): void {
    message.held = true;
    this.release = release;
    this.pending.push(message);
    if (this.pending.length === 1) queueMicrotask(() => this.flush());
  }

  private flush(): void {
    const pending = this.pending;
    this.pending = [];
    if (!this.host.live()) return;
    let group: OutgoingMessage[] = [];
    let texts: string[] = [];
    let length = 0;
    const limit = textLimitOf(this.host.maxMessageBytes());
    const close = () => {
      const [messages, encoded] = [group, texts];
      if (messages.length === 1) this.seal(messages, () => this.sealer.seal(messages[0]!, encoded[0]));
      else if (messages.length > 1) this.seal(messages, () => this.sealer.sealBatch(messages, encoded));
      [group, texts, length] = [[], [], 0];
    };
    try {
      for (const message of pending) {
        const text = encodeInner(message);
        if (typeof text !== 'string' || text.length > ALONE_FROM_LENGTH) {
          close();
          this.seal([message], () => this.sealer.seal(message, text));
          continue;
        }
        const full = group.length >= P2P_E2E_MAX_BATCH || length + text.length > limit;
        if (group.length > 0 && (full || message.seq !== group[group.length - 1]!.seq + 1)) close();
        group.push(message);
        texts.push(text);
        length += text.length + 1;
      }
      close();
    } catch (cause) {
      return this.host.failed(cause);
    }
    // The channel sends what is sealed (all of it, with Node's synchronous AES-GCM) in one go.
    this.release();
  }

  /** Seals `messages` (one, or a batch) with `seal`: at once (Node), or later (WebCrypto: then the channel is told). */
  private seal(messages: OutgoingMessage[], seal: () => Uint8Array<ArrayBuffer> | Promise<Uint8Array<ArrayBuffer>>): void {
    const done = (sealed: Uint8Array<ArrayBuffer>) => {
      const [first, ...others] = messages;
      first!.sealed = wireForm(sealed);
      if (others.length > 0) first!.batchSize = messages.length;
      for (const other of others) other.batched = true;
      for (const message of messages) message.held = false;
    };
    const sealed = seal();
    if (!isPromiseLike(sealed)) return done(sealed);
    sealed.then(
      (bytes) => {
        if (!this.host.live()) return;
        done(bytes);
        this.release();
      },
      (cause: unknown) => this.host.failed(cause),
    );
  }
}
