import { P2P_E2E_MAX_BATCH, type P2pFrame } from 'nest-p2p-gateway-protocol';
import type { OutgoingMessage } from '../reliable-channel-host.interface.js';
import { decodeFrame, encodeFrame } from '../webrtc/frame.codec.js';
import { AesGcmCipher, type AesKeySource } from './aes-gcm.cipher.js';
import { looseFromBase64, toBase64, utf8Bytes } from './base64.codec.js';
import { isPromiseLike } from '../promise.guard.js';

/** AES-GCM's nonce: 12 bytes, the direction then the sequence number. */
const NONCE_BYTES = 12;
/** First byte of the plaintext: how the message was encoded (`encodeFrame`: JSON text, or binary with its values). */
const TEXT = 0;
const BINARY = 1;
/** A sealed batch: the JSON array of its messages (each as `encodeFrame` writes one without binary values). */
const BATCH = 2;

const decoder = new TextDecoder();

/**
 * Sealed messages up to this size travel as base64 text, larger ones binary. A binary value costs Socket.IO a packet of
 * its own (an attachment) on every hop, which outweighs the third more bytes of text for small messages; for large
 * ones (stream chunks) the bytes weigh more, and text could pass the gateway's message size where the plain one did not.
 */
const TEXT_UP_TO_BYTES = 4096;

/** How a sealed message travels in `z`. */
export function wireForm(sealed: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> | string {
  return sealed.byteLength <= TEXT_UP_TO_BYTES ? toBase64(sealed) : sealed;
}

/** Which way a message goes: its nonces never meet the other direction's, even under one key. */
export type Direction = 0 | 1;

/**
 * Seals and opens the messages of one pairing with AES-256-GCM, one key per direction. A message's event, arguments,
 * reply request and reply number travel inside the ciphertext (encoded as the data channel encodes frames, binary
 * values included); its nonce is its direction and its sequence number in the reliable channel, which numbers each
 * message of a direction once per pairing: a nonce is never used twice with a key, a retransmission sends the same
 * ciphertext, and a frame moved to another number fails to open.
 */
export class MessageSealer {
  private readonly sender: AesGcmCipher;
  private readonly receiver: AesGcmCipher;
  /** One nonce buffer per direction, rewritten for each message: both AES-GCMs copy the nonce when called. */
  private readonly sendNonce = new Uint8Array(NONCE_BYTES);
  private readonly receiveNonce = new Uint8Array(NONCE_BYTES);

  constructor(
    sendKey: AesKeySource,
    private readonly sendDirection: Direction,
    receiveKey: AesKeySource,
  ) {
    this.sender = new AesGcmCipher(sendKey);
    this.receiver = new AesGcmCipher(receiveKey);
  }

  /** The message's ciphertext: at once where the runtime's AES-GCM is synchronous (Node), else a promise. */
  seal(message: OutgoingMessage, encoded = encodeInner(message)): Uint8Array<ArrayBuffer> | Promise<Uint8Array<ArrayBuffer>> {
    let plain: Uint8Array<ArrayBuffer>;
    if (typeof encoded === 'string') {
      // The marker byte (TEXT, 0) then the UTF-8 of the JSON, in one encoding: no copy.
      plain = utf8Bytes(`\u0000${encoded}`);
    } else {
      plain = new Uint8Array(1 + encoded.byteLength);
      plain[0] = BINARY;
      plain.set(new Uint8Array(encoded), 1);
    }
    return this.sender.encrypt(nonceOf(this.sendDirection, message.seq, this.sendNonce), plain);
  }

  /**
   * The ciphertext of a sealed batch: `messages` (consecutive numbers, 2 to `P2P_E2E_MAX_BATCH`), encoded as text
   * (`texts`, from `encodeInner`), in one AES-GCM call under the nonce of the first one's number. The others' numbers
   * are never sealed on their own: each number's nonce is still used once.
   */
  sealBatch(messages: readonly OutgoingMessage[], texts: readonly string[]): Uint8Array<ArrayBuffer> | Promise<Uint8Array<ArrayBuffer>> {
    const plain = utf8Bytes(`\u0002[${texts.join(',')}]`);
    return this.sender.encrypt(nonceOf(this.sendDirection, messages[0]!.seq, this.sendNonce), plain);
  }

  /**
   * The peer's sealed frame in the clear (its number and acknowledgement kept): at once where the runtime's AES-GCM is
   * synchronous (Node), else a promise. Throws (or rejects) when it does not open.
   */
  open(frame: P2pFrame): P2pFrame | P2pFrame[] | Promise<P2pFrame | P2pFrame[]> {
    // A sealed batch (`n`): its count is checked against what it opens to (a gateway cannot change it).
    if (frame.n !== undefined && !(Number.isSafeInteger(frame.n) && frame.n > 1 && frame.n <= P2P_E2E_MAX_BATCH)) {
      throw new Error('a sealed batch with an impossible count');
    }
    const sealed = bytesOf(frame.z);
    const iv = nonceOf(this.sendDirection === 0 ? 1 : 0, frame.s!, this.receiveNonce);
    const plain = this.receiver.decrypt(iv, sealed);
    return isPromiseLike(plain) ? Promise.resolve(plain).then((bytes) => openedOf(frame, bytes)) : openedOf(frame, plain);
  }
}

/** The text of `message` inside the ciphertext (its event, arguments, reply request or reply number); binary: bytes. */
export function encodeInner(message: OutgoingMessage): string | ArrayBuffer {
  return encodeFrame(
    message.replyTo !== undefined
      ? { r: message.replyTo, a: message.args }
      : message.wantsReply
        ? { e: message.event, a: message.args, w: 1 }
        : { e: message.event, a: message.args },
  );
}

/** The message(s) inside `plain` (the opened bytes of `frame`), as the frame(s) the channel delivers. */
function openedOf(frame: P2pFrame, plain: Uint8Array): P2pFrame | P2pFrame[] {
  const body = plain.subarray(1);
  // The form is inside the ciphertext: a batch passed off as one message (or the reverse) does not open.
  if ((plain[0] === BATCH) !== (frame.n !== undefined)) throw new Error('a sealed message in the wrong form');
  if (plain[0] !== BATCH) return messageOf(frame.s!, decodeFrame(plain[0] === TEXT ? decoder.decode(body) : body));
  const inner = JSON.parse(decoder.decode(body)) as unknown;
  if (!Array.isArray(inner) || inner.length !== frame.n) throw new Error('a sealed batch of another count');
  return inner.map((each: unknown, i) => messageOf(frame.s! + i, each));
}

/** Message `seq` (`inner`, as sealed), as the frame the channel delivers. */
function messageOf(seq: number, value: unknown): P2pFrame {
  const inner = value as P2pFrame;
  if (
    typeof inner !== 'object' ||
    inner === null ||
    !Array.isArray(inner.a) ||
    (typeof inner.e !== 'string' && typeof inner.r !== 'number')
  ) {
    throw new Error('a sealed message without its event or reply number');
  }
  const opened: P2pFrame = { s: seq, a: inner.a };
  if (typeof inner.r === 'number') opened.r = inner.r;
  else opened.e = inner.e!;
  if (inner.w === 1) opened.w = 1;
  return opened;
}

/** Writes the nonce of message `seq` in `direction` into `iv` (12 bytes) and returns it. */
function nonceOf(direction: Direction, seq: number, iv: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> {
  if (!Number.isSafeInteger(seq) || seq < 0) throw new Error('a sealed message needs its sequence number');
  // Byte 0: the direction; bytes 4 to 11: the number, big-endian (a safe integer: its high word fits in 21 bits).
  iv.fill(0);
  iv[0] = direction;
  const high = Math.floor(seq / 0x1_0000_0000);
  const low = seq >>> 0;
  iv[4] = high >>> 24;
  iv[5] = (high >>> 16) & 0xff;
  iv[6] = (high >>> 8) & 0xff;
  iv[7] = high & 0xff;
  iv[8] = low >>> 24;
  iv[9] = (low >>> 16) & 0xff;
  iv[10] = (low >>> 8) & 0xff;
  iv[11] = low & 0xff;
  return iv;
}

/** The ciphertext as bytes: a Node Buffer or Uint8Array from socket.io-client in Node, an ArrayBuffer in browsers. */
function bytesOf(value: unknown): Uint8Array<ArrayBuffer> {
  if (typeof value === 'string') {
    const bytes = looseFromBase64(value);
    if (bytes) return bytes;
  }
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer as ArrayBuffer, value.byteOffset, value.byteLength);
  throw new Error('a sealed frame without its ciphertext');
}
