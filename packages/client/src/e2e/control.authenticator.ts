import { AesGcmCipher, type AesKeySource } from './aes-gcm.cipher.js';
import { fromBase64, toBase64 } from './base64.codec.js';
import type { Direction } from './message.sealer.js';

/** What a tag authenticates: its own nonce space, under keys of their own (never the messages' keys). */
const ACK = 1;
const SKIP = 2;
const encoder = new TextEncoder();
const EMPTY = new Uint8Array(0);
/** AES-GCM's tag length: an acknowledgement's tag is the tag of an empty message. */
const TAG_BYTES = 16;

/**
 * Authenticates what the reliable channel sends outside the ciphertext and the peer acts on: acknowledgements (`c`,
 * tagged `t`) and skipped numbers (`x`, tagged `u`) (docs/e2e.md, "Acknowledgements and skipped numbers"). A tag is
 * AES-256-GCM over the value under a control key per direction (HKDF, apart from the message keys), its nonce the
 * direction, the kind and the number: deterministic, so an acknowledgement sent twice carries the same tag, and a
 * nonce never meets another plaintext (one skip per number, an acknowledgement's plaintext always empty). A gateway
 * that forges `c` or `x` cannot make the tag: the sender confirms, and the receiver skips, only on a genuine one.
 */
export class ControlAuthenticator {
  private readonly sender: AesGcmCipher;
  private readonly receiver: AesGcmCipher;
  private readonly receiveDirection: Direction;
  /** The last acknowledgement tagged (most frames carry the same one). */
  private lastTag?: { c: number; tag: string };
  private pendingTag?: number;

  constructor(
    sendKey: AesKeySource,
    private readonly sendDirection: Direction,
    receiveKey: AesKeySource,
  ) {
    this.sender = new AesGcmCipher(sendKey);
    this.receiver = new AesGcmCipher(receiveKey);
    this.receiveDirection = sendDirection === 0 ? 1 : 0;
  }

  /**
   * The tag of this side's acknowledgement `c`, when it can be had at once (Node; or computed before). Otherwise
   * undefined, and `ready` is called once it is (WebCrypto, asynchronous).
   */
  ackTag(c: number, ready: () => void): string | undefined {
    if (this.lastTag?.c === c) return this.lastTag.tag;
    const sealed = this.sender.encrypt(nonceOf(this.sendDirection, ACK, c), EMPTY);
    if (!(sealed instanceof Promise)) return this.keep(c, sealed);
    if (this.pendingTag === c) return undefined;
    this.pendingTag = c;
    sealed.then(
      (bytes) => {
        if (this.pendingTag === c) this.pendingTag = undefined;
        if ((this.lastTag?.c ?? -1) < c) this.keep(c, bytes);
        ready();
      },
      () => undefined,
    );
    return undefined;
  }

  /** Whether `tag` is the peer's genuine tag of its acknowledgement `c`. */
  async checkAck(c: number, tag: unknown): Promise<boolean> {
    const bytes = fromBase64(tag, TAG_BYTES);
    if (!bytes || !Number.isSafeInteger(c) || c < 0) return false;
    try {
      await this.receiver.decrypt(nonceOf(this.receiveDirection, ACK, c), bytes);
      return true;
    } catch {
      return false;
    }
  }

  /** The tag of this side's skipped number `seq` (refused for good with `code`): the code sealed, with its tag. */
  skipTag(seq: number, code: string): string | Promise<string> {
    const sealed = this.sender.encrypt(nonceOf(this.sendDirection, SKIP, seq), encoder.encode(code));
    return sealed instanceof Promise ? sealed.then(toBase64) : toBase64(sealed);
  }

  /** Whether `tag` is the peer's genuine tag of its skipped number `seq` with `code`. */
  async checkSkip(seq: number, code: unknown, tag: unknown): Promise<boolean> {
    const bytes = fromBase64(tag);
    if (!bytes || typeof code !== 'string' || !Number.isSafeInteger(seq) || seq < 0) return false;
    try {
      const plain = await this.receiver.decrypt(nonceOf(this.receiveDirection, SKIP, seq), bytes);
      return new TextDecoder().decode(plain) === code;
    } catch {
      return false;
    }
  }

  private keep(c: number, sealed: Uint8Array<ArrayBuffer>): string {
    const tag = toBase64(sealed);
    this.lastTag = { c, tag };
    return tag;
  }
}

function nonceOf(direction: Direction, kind: number, value: number): Uint8Array<ArrayBuffer> {
  if (!Number.isSafeInteger(value) || value < 0) throw new Error('a number to authenticate');
  const iv = new Uint8Array(12);
  const view = new DataView(iv.buffer);
  view.setUint8(0, direction);
  view.setUint8(1, kind);
  view.setBigUint64(4, BigInt(value));
  return iv;
}
