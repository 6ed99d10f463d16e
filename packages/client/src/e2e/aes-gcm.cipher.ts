import { concatBytes } from './bytes.concat.js';

/** AES-GCM's tag, appended to the ciphertext (as WebCrypto does). */
const TAG_BYTES = 16;

/** What this file uses of `node:crypto`, when the runtime has it. */
interface NodeCipher {
  update(data: Uint8Array): Uint8Array;
  final(): Uint8Array;
  getAuthTag(): Uint8Array;
  setAuthTag(tag: Uint8Array): void;
}
interface NodeCrypto {
  KeyObject: { from(key: CryptoKey): unknown };
  createCipheriv(algorithm: string, key: unknown, iv: Uint8Array): NodeCipher;
  createDecipheriv(algorithm: string, key: unknown, iv: Uint8Array): NodeCipher;
}

/**
 * Node's own crypto, without importing it (the client runs in browsers too): `process.getBuiltinModule` (Node 20.16+).
 * Its AES-GCM runs synchronously, several times faster per small message than WebCrypto's, which queues each call.
 */
const nodeCrypto = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule?.(
  'node:crypto',
) as NodeCrypto | undefined;

/**
 * AES-256-GCM with one key (a non-extractable WebCrypto key): through `node:crypto` in Node (same key, same output:
 * the ciphertext with its 16-byte tag appended), through WebCrypto elsewhere.
 */
export class AesGcmCipher {
  /** The same key as Node's KeyObject, when Node's crypto is at hand. */
  private readonly nodeKey: unknown;

  constructor(private readonly key: CryptoKey) {
    this.nodeKey = nodeCrypto?.KeyObject.from(key);
  }

  encrypt(iv: Uint8Array<ArrayBuffer>, plain: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> | Promise<Uint8Array<ArrayBuffer>> {
    if (nodeCrypto && this.nodeKey) {
      const cipher = nodeCrypto.createCipheriv('aes-256-gcm', this.nodeKey, iv);
      return concatBytes([cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
    }
    return globalThis.crypto.subtle.encrypt({ name: 'AES-GCM', iv }, this.key, plain).then((sealed) => new Uint8Array(sealed));
  }

  /** Throws (or rejects) when the tag does not verify. */
  decrypt(iv: Uint8Array<ArrayBuffer>, sealed: Uint8Array<ArrayBuffer>): Uint8Array | Promise<Uint8Array> {
    if (nodeCrypto && this.nodeKey) {
      if (sealed.byteLength < TAG_BYTES) throw new Error('a sealed message shorter than its tag');
      const decipher = nodeCrypto.createDecipheriv('aes-256-gcm', this.nodeKey, iv);
      decipher.setAuthTag(sealed.subarray(sealed.byteLength - TAG_BYTES));
      return concatBytes([decipher.update(sealed.subarray(0, sealed.byteLength - TAG_BYTES)), decipher.final()]);
    }
    return globalThis.crypto.subtle.decrypt({ name: 'AES-GCM', iv }, this.key, sealed).then((plain) => new Uint8Array(plain));
  }
}
