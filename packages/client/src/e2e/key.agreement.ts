import { sameBytes } from './base64.codec.js';
import { concatBytes } from './bytes.concat.js';

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

/** This side's ephemeral key for one pairing: the private half never leaves WebCrypto (not extractable). */
export interface EphemeralKey {
  readonly privateKey: CryptoKey;
  readonly publicKey: Uint8Array<ArrayBuffer>;
  /** A fresh random value of the pairing, in the transcript. */
  readonly nonce: Uint8Array<ArrayBuffer>;
}

export async function ephemeralKey(): Promise<EphemeralKey> {
  const pair = (await subtle().generateKey({ name: 'X25519' }, false, ['deriveBits'])) as CryptoKeyPair;
  const publicKey = new Uint8Array(await subtle().exportKey('raw', pair.publicKey));
  return { privateKey: pair.privateKey, publicKey, nonce: globalThis.crypto.getRandomValues(new Uint8Array(NONCE_BYTES)) };
}

/** The first side's commitment to its key and nonce: SHA-256 over a label, the key and the nonce. */
export async function commitmentOf(publicKey: Uint8Array, nonce: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await subtle().digest('SHA-256', concatBytes([encoder.encode(`${LABEL}/commit`), publicKey, nonce])));
}

/** Who is who in the exchange: `first` is the side that commits (the smaller clientId). */
export interface Transcript {
  readonly firstId: string;
  readonly secondId: string;
  readonly firstKey: Uint8Array;
  readonly secondKey: Uint8Array;
  readonly firstNonce: Uint8Array;
  readonly secondNonce: Uint8Array;
}

/** What both sides derive from the exchange; equal on both iff they saw the same transcript and shared secret. */
export interface SessionKeys {
  /** AES-256-GCM, first side to second. */
  readonly firstToSecond: CryptoKey;
  readonly secondToFirst: CryptoKey;
  /** AES-256-GCM for the tags of acknowledgements and skipped numbers (`ControlAuthenticator`), one per direction. */
  readonly firstToSecondControl: CryptoKey;
  readonly secondToFirstControl: CryptoKey;
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
  const peer = await subtle().importKey('raw', peerKey, { name: 'X25519' }, false, []);
  const shared = new Uint8Array(await subtle().deriveBits({ name: 'X25519', public: peer }, own.privateKey, 256));
  // A low-order peer key gives an all-zero secret that an attacker knows: refused (RFC 7748, section 6.1).
  if (sameBytes(shared, new Uint8Array(shared.byteLength))) throw new Error('the peer sent a low-order key');
  const ids = [transcript.firstId, transcript.secondId].map((id) => encoder.encode(id));
  const fields = [encoder.encode(LABEL), ...ids, transcript.firstKey, transcript.secondKey, transcript.firstNonce, transcript.secondNonce];
  const salt = await subtle().digest('SHA-256', concatBytes(fields.flatMap((field) => [lengthOf(field), field])));
  const ikm = await subtle().importKey('raw', shared, 'HKDF', false, ['deriveBits', 'deriveKey']);
  const hkdf = (info: string) => ({ name: 'HKDF', hash: 'SHA-256', salt, info: encoder.encode(`${LABEL}/${info}`) });
  const aesKey = (info: string, usage: KeyUsage) => subtle().deriveKey(hkdf(info), ikm, { name: 'AES-GCM', length: 256 }, false, [usage]);
  const bits = async (info: string, bytes: number) => new Uint8Array(await subtle().deriveBits(hkdf(info), ikm, bytes * 8));
  const iAmFirst = sameBytes(own.publicKey, transcript.firstKey);
  const [firstToSecond, secondToFirst, firstToSecondControl, secondToFirstControl, firstConfirmation, secondConfirmation, code] =
    await Promise.all([
      aesKey('first-to-second', iAmFirst ? 'encrypt' : 'decrypt'),
      aesKey('second-to-first', iAmFirst ? 'decrypt' : 'encrypt'),
      aesKey('first-to-second/control', iAmFirst ? 'encrypt' : 'decrypt'),
      aesKey('second-to-first/control', iAmFirst ? 'decrypt' : 'encrypt'),
      bits('confirm-first', CONFIRMATION_BYTES),
      bits('confirm-second', CONFIRMATION_BYTES),
      bits('code', 8),
    ]);
  const value = new DataView(code.buffer).getBigUint64(0) % 10n ** BigInt(CODE_DIGITS);
  const verificationCode = value.toString().padStart(CODE_DIGITS, '0');
  return {
    firstToSecond,
    secondToFirst,
    firstToSecondControl,
    secondToFirstControl,
    firstConfirmation,
    secondConfirmation,
    verificationCode,
  };
}

function lengthOf(field: Uint8Array): Uint8Array {
  const length = new Uint8Array(4);
  new DataView(length.buffer).setUint32(0, field.byteLength);
  return length;
}
