import { concatBytes } from './bytes.concat.js';
import { type NodeKeyObject, nodeCrypto } from './node-crypto.runtime.js';

/** AES-GCM's tag, appended to the ciphertext (as WebCrypto does). */
const TAG_BYTES = 16;

/** Node's Buffer.concat (native copies, one allocation), when the runtime has it. */
const NodeBuffer = (globalThis as { Buffer?: { concat(parts: readonly Uint8Array[]): Uint8Array<ArrayBuffer> } }).Buffer;
const nodeConcat = NodeBuffer && ((parts: readonly Uint8Array[]) => NodeBuffer.concat(parts));

/** An AES-256-GCM key: a non-extractable WebCrypto key, or (in Node) a secret KeyObject. */
export type AesKey = CryptoKey | NodeKeyObject;

/** A key, or what makes it when it is first used (a key exchange's outputs are derived as they are needed). */
export type AesKeySource = AesKey | (() => AesKey);

/**
 * AES-256-GCM with one key: through `node:crypto` in Node (same key, same output: the ciphertext with its 16-byte tag
 * appended), through WebCrypto elsewhere.
 */
export class AesGcmCipher {
  private key?: AesKey;
  /** The same key as Node's KeyObject, when Node's crypto is at hand. */
  private nodeKey?: NodeKeyObject;

  constructor(private readonly source: AesKeySource) {
    if (typeof source !== 'function') this.take(source);
  }

  private take(key: AesKey): AesKey {
    this.key = key;
    if (nodeCrypto)
      this.nodeKey = key instanceof nodeCrypto.KeyObject ? (key as NodeKeyObject) : nodeCrypto.KeyObject.from(key as CryptoKey);
    return key;
  }

  /** The key, made now if it was given as its maker. */
  private keyNow(): AesKey {
    return this.key ?? this.take((this.source as () => AesKey)());
  }

  encrypt(iv: Uint8Array<ArrayBuffer>, plain: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> | Promise<Uint8Array<ArrayBuffer>> {
    const key = this.keyNow();
    if (nodeCrypto && this.nodeKey) {
      const cipher = nodeCrypto.createCipheriv('aes-256-gcm', this.nodeKey, iv);
      const body = cipher.update(plain);
      // GCM is a stream mode: final() returns no bytes, it computes the tag.
      cipher.final();
      const parts = [body, cipher.getAuthTag()];
      return nodeConcat ? nodeConcat(parts) : concatBytes(parts);
    }
    return globalThis.crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key as CryptoKey, plain).then((sealed) => new Uint8Array(sealed));
  }

  /** Throws (or rejects) when the tag does not verify. */
  decrypt(iv: Uint8Array<ArrayBuffer>, sealed: Uint8Array<ArrayBuffer>): Uint8Array | Promise<Uint8Array> {
    const key = this.keyNow();
    if (nodeCrypto && this.nodeKey) {
      if (sealed.byteLength < TAG_BYTES) throw new Error('a sealed message shorter than its tag');
      const decipher = nodeCrypto.createDecipheriv('aes-256-gcm', this.nodeKey, iv);
      decipher.setAuthTag(sealed.subarray(sealed.byteLength - TAG_BYTES));
      const plain = decipher.update(sealed.subarray(0, sealed.byteLength - TAG_BYTES));
      // Throws when the tag does not verify; returns no bytes otherwise (a stream mode).
      decipher.final();
      return plain;
    }
    return globalThis.crypto.subtle.decrypt({ name: 'AES-GCM', iv }, key as CryptoKey, sealed).then((plain) => new Uint8Array(plain));
  }
}
