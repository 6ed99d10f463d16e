import { fromBase64, sameBytes, toBase64 } from './base64.codec.js';
import type { AesKey } from './aes-gcm.cipher.js';
import { concatBytes } from './bytes.concat.js';
import { type NodeKeyObject, nodeCrypto } from './node-crypto.runtime.js';

/** X25519 public keys are 32 bytes; the pairing nonces 16; key confirmations 32. */
export const PUBLIC_KEY_BYTES = 32;
export const NONCE_BYTES = 16;
export const CONFIRMATION_BYTES = 32;
/** Digits of the verification code the two users compare. */
export const CODE_DIGITS = 6;

const LABEL = 'nest-p2p-gateway/e2e/1';
const encoder = new TextEncoder();

/** WebCrypto, as browsers and Node (>= 20.19.3 for X25519) both have it. */
function subtle(): SubtleCrypto {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) throw new Error('end-to-end encryption needs WebCrypto (globalThis.crypto.subtle)');
  return subtle;
}

/**
 * This side's ephemeral key for one pairing: the private half never leaves the client's memory (in browsers a
 * non-extractable WebCrypto key; in Node a KeyObject of Node's crypto, used synchronously).
 */
export interface EphemeralKey {
  readonly privateKey: CryptoKey | NodeKeyObject;
  readonly publicKey: Uint8Array<ArrayBuffer>;
  /** A fresh random value of the pairing, in the transcript. */
  readonly nonce: Uint8Array<ArrayBuffer>;
}

export async function ephemeralKey(): Promise<EphemeralKey> {
  const nonce = globalThis.crypto.getRandomValues(new Uint8Array(NONCE_BYTES));
  if (nodeCrypto) {
    const pair = nodeCrypto.generateKeyPairSync('x25519');
    return { privateKey: pair.privateKey, publicKey: fromBase64Url(pair.publicKey.export({ format: 'jwk' }).x ?? ''), nonce };
  }
  const pair = (await subtle().generateKey({ name: 'X25519' }, false, ['deriveBits'])) as CryptoKeyPair;
  const publicKey = new Uint8Array(await subtle().exportKey('raw', pair.publicKey));
  return { privateKey: pair.privateKey, publicKey, nonce };
}

/** The first side's commitment to its key and nonce: SHA-256 over a label, the key and the nonce. */
export async function commitmentOf(publicKey: Uint8Array, nonce: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
  return sha256(concatBytes([encoder.encode(`${LABEL}/commit`), publicKey, nonce]));
}

/** SHA-256: synchronous through Node's crypto where the runtime has it, WebCrypto elsewhere. */
async function sha256(data: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  if (nodeCrypto) return new Uint8Array(nodeCrypto.createHash('sha256').update(data).digest());
  return new Uint8Array(await subtle().digest('SHA-256', data));
}

/**
 * Who is who in the exchange: `first` is the side that commits (the smaller clientId; the requester when the commitment
 * went with the pair request).
 */
export interface Transcript {
  readonly firstId: string;
  readonly secondId: string;
  readonly firstKey: Uint8Array;
  readonly secondKey: Uint8Array;
  readonly firstNonce: Uint8Array;
  readonly secondNonce: Uint8Array;
}

/** One side of an exchange: its clientId, its public key and its nonce. */
export interface TranscriptSide {
  readonly id: string;
  readonly publicKey: Uint8Array;
  readonly nonce: Uint8Array;
}

/** The transcript of an exchange in which `first` commits. */
export function transcriptOf(first: TranscriptSide, second: TranscriptSide): Transcript {
  return {
    firstId: first.id,
    secondId: second.id,
    firstKey: first.publicKey,
    secondKey: second.publicKey,
    firstNonce: first.nonce,
    secondNonce: second.nonce,
  };
}

/** What both sides derive from the exchange; equal on both iff they saw the same transcript and shared secret. */
export interface SessionKeys {
  /** AES-256-GCM, first side to second. */
  readonly firstToSecond: AesKey;
  readonly secondToFirst: AesKey;
  /** AES-256-GCM for the tags of acknowledgements and skipped numbers (`ControlAuthenticator`), one per direction. */
  readonly firstToSecondControl: AesKey;
  readonly secondToFirstControl: AesKey;
  /** Key confirmations: each side sends its own, the other checks it. */
  readonly firstConfirmation: Uint8Array<ArrayBuffer>;
  readonly secondConfirmation: Uint8Array<ArrayBuffer>;
  /** The short code the users compare. */
  readonly verificationCode: string;
}

/**
 * X25519 between this side's private key and the peer's public key, then HKDF-SHA-256 with the SHA-256 of the whole
 * transcript (label, both ids, both keys, both nonces) as salt: one AES-256-GCM key per direction, the two key
 * confirmations and the verification code, each under its own `info`.
 */
export async function deriveSession(own: EphemeralKey, peerKey: Uint8Array<ArrayBuffer>, transcript: Transcript): Promise<SessionKeys> {
  const shared = await sharedSecret(own, peerKey);
  // A low-order peer key gives an all-zero secret that an attacker knows: refused (RFC 7748, section 6.1).
  if (sameBytes(shared, new Uint8Array(shared.byteLength))) throw new Error('the peer sent a low-order key');
  const ids = [transcript.firstId, transcript.secondId].map((id) => encoder.encode(id));
  const fields = [encoder.encode(LABEL), ...ids, transcript.firstKey, transcript.secondKey, transcript.firstNonce, transcript.secondNonce];
  const salt = await sha256(concatBytes(fields.flatMap((field) => [lengthOf(field), field])));
  if (nodeCrypto) return new NodeSessionKeys(nodeCrypto, shared, salt);
  const iAmFirst = sameBytes(own.publicKey, transcript.firstKey);
  const derived = await webCryptoDerivations(shared, salt, iAmFirst);
  const [firstToSecond, secondToFirst, firstToSecondControl, secondToFirstControl, firstConfirmation, secondConfirmation, code] = derived;
  return {
    firstToSecond,
    secondToFirst,
    firstToSecondControl,
    secondToFirstControl,
    firstConfirmation,
    secondConfirmation,
    verificationCode: codeOf(code),
  };
}

/** The verification code from its 8 bytes of HKDF output: a 64-bit number reduced to `CODE_DIGITS` digits. */
function codeOf(bytes: Uint8Array): string {
  const value = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0) % 10n ** BigInt(CODE_DIGITS);
  return value.toString().padStart(CODE_DIGITS, '0');
}

/**
 * The AES keys (first to second, second to first), the control keys (the same two directions), the confirmations
 * (first, second) and the code's 8 bytes.
 */
type Derivations = [AesKey, AesKey, AesKey, AesKey, Uint8Array<ArrayBuffer>, Uint8Array<ArrayBuffer>, Uint8Array<ArrayBuffer>];

/** X25519 between this side's private key and the peer's public key. */
async function sharedSecret(own: EphemeralKey, peerKey: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  if (nodeCrypto) {
    const privateKey =
      own.privateKey instanceof nodeCrypto.KeyObject
        ? (own.privateKey as NodeKeyObject)
        : nodeCrypto.KeyObject.from(own.privateKey as CryptoKey);
    const publicKey = nodeCrypto.createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: toBase64Url(peerKey) }, format: 'jwk' });
    return new Uint8Array(nodeCrypto.diffieHellman({ privateKey, publicKey }));
  }
  const peer = await subtle().importKey('raw', peerKey, { name: 'X25519' }, false, []);
  return new Uint8Array(await subtle().deriveBits({ name: 'X25519', public: peer }, own.privateKey as CryptoKey, 256));
}

/** HKDF's one-block counter: every output here is one SHA-256 block at most. */
const FIRST_BLOCK = new Uint8Array([1]);

/**
 * HKDF-SHA-256 (RFC 5869) under each `info` label, through Node's crypto, synchronously (the same bytes as
 * WebCrypto's). Written out with HMAC: one extract, then one HMAC per label, as every output fits one block (Node's
 * `hkdfSync` sets up a whole derivation per call). Each output is computed when it is first read, then kept: the key
 * exchange is on the path of the pairing's first message (the requester derives before sealing it, the target before
 * opening it), which needs one AES key and one confirmation; the other direction's key, the control keys, the other
 * confirmation and the code (five more HMACs and three key objects) come after it, as they are used.
 */
class NodeSessionKeys implements SessionKeys {
  /** HKDF's pseudo-random key (the extract), kept only until every output is derived. */
  private pseudoRandomKey?: Uint8Array;
  private readonly outputs = new Map<string, AesKey | Uint8Array<ArrayBuffer> | string>();

  constructor(
    private readonly node: NonNullable<typeof nodeCrypto>,
    shared: Uint8Array,
    salt: Uint8Array,
  ) {
    this.pseudoRandomKey = node.createHmac('sha256', salt).update(shared).digest();
  }

  get firstToSecond(): AesKey {
    return this.key('first-to-second');
  }
  get secondToFirst(): AesKey {
    return this.key('second-to-first');
  }
  get firstToSecondControl(): AesKey {
    return this.key('first-to-second/control');
  }
  get secondToFirstControl(): AesKey {
    return this.key('second-to-first/control');
  }
  get firstConfirmation(): Uint8Array<ArrayBuffer> {
    return this.output('confirm-first', () => this.expand('confirm-first', CONFIRMATION_BYTES));
  }
  get secondConfirmation(): Uint8Array<ArrayBuffer> {
    return this.output('confirm-second', () => this.expand('confirm-second', CONFIRMATION_BYTES));
  }
  get verificationCode(): string {
    return this.output('code', () => codeOf(this.expand('code', 8)));
  }

  private key(info: string): AesKey {
    return this.output(info, () => this.node.createSecretKey(this.expand(info, 32)));
  }

  private output<T extends AesKey | Uint8Array<ArrayBuffer> | string>(info: string, make: () => T): T {
    let value = this.outputs.get(info) as T | undefined;
    if (value === undefined) {
      value = make();
      this.outputs.set(info, value);
      if (this.outputs.size === SESSION_OUTPUTS) this.pseudoRandomKey = undefined;
    }
    return value;
  }

  private expand(info: string, bytes: number): Uint8Array<ArrayBuffer> {
    return this.node
      .createHmac('sha256', this.pseudoRandomKey!)
      .update(encoder.encode(`${LABEL}/${info}`))
      .update(FIRST_BLOCK)
      .digest()
      .slice(0, bytes);
  }
}

/** How many outputs a session derives (`SessionKeys`' seven fields). */
const SESSION_OUTPUTS = 7;

/** The same through WebCrypto (browsers): the AES keys non-extractable, each for its one use on this side. */
async function webCryptoDerivations(
  shared: Uint8Array<ArrayBuffer>,
  salt: Uint8Array<ArrayBuffer>,
  iAmFirst: boolean,
): Promise<Derivations> {
  const ikm = await subtle().importKey('raw', shared, 'HKDF', false, ['deriveBits', 'deriveKey']);
  const hkdf = (info: string) => ({ name: 'HKDF', hash: 'SHA-256', salt, info: encoder.encode(`${LABEL}/${info}`) });
  const aesKey = (info: string, usage: KeyUsage) => subtle().deriveKey(hkdf(info), ikm, { name: 'AES-GCM', length: 256 }, false, [usage]);
  const bits = async (info: string, bytes: number) => new Uint8Array(await subtle().deriveBits(hkdf(info), ikm, bytes * 8));
  return Promise.all([
    aesKey('first-to-second', iAmFirst ? 'encrypt' : 'decrypt'),
    aesKey('second-to-first', iAmFirst ? 'decrypt' : 'encrypt'),
    aesKey('first-to-second/control', iAmFirst ? 'encrypt' : 'decrypt'),
    aesKey('second-to-first/control', iAmFirst ? 'decrypt' : 'encrypt'),
    bits('confirm-first', CONFIRMATION_BYTES),
    bits('confirm-second', CONFIRMATION_BYTES),
    bits('code', 8),
  ]);
}

/** Base64url without padding (JWK's `x`), as Node's Buffer writes and reads it. */
function toBase64Url(bytes: Uint8Array): string {
  return toBase64(bytes).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
}

function fromBase64Url(text: string): Uint8Array<ArrayBuffer> {
  const base64 = text.replace(/-/g, '+').replace(/_/g, '/');
  return fromBase64(base64.padEnd(Math.ceil(base64.length / 4) * 4, '=')) ?? new Uint8Array(0);
}

function lengthOf(field: Uint8Array): Uint8Array {
  const length = new Uint8Array(4);
  new DataView(length.buffer).setUint32(0, field.byteLength);
  return length;
}
