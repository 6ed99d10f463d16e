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

/** Node's Buffer.concat (native copies, one allocation), when the runtime has it. */
const nodeConcat = (globalThis as { Buffer?: { concat(parts: readonly Uint8Array[]): Uint8Array<ArrayBuffer> } }).Buffer?.concat;

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
      const body = cipher.update(plain);
      // GCM is a stream mode: final() returns no bytes, it computes the tag.
      cipher.final();
      const parts = [body, cipher.getAuthTag()];
      return nodeConcat ? nodeConcat(parts) : concatBytes(parts);
    }
    return globalThis.crypto.subtle.encrypt({ name: 'AES-GCM', iv }, this.key, plain).then((sealed) => new Uint8Array(sealed));
  }

  /** Throws (or rejects) when the tag does not verify. */
  decrypt(iv: Uint8Array<ArrayBuffer>, sealed: Uint8Array<ArrayBuffer>): Uint8Array | Promise<Uint8Array> {
    if (nodeCrypto && this.nodeKey) {
      if (sealed.byteLength < TAG_BYTES) throw new Error('a sealed message shorter than its tag');
      const decipher = nodeCrypto.createDecipheriv('aes-256-gcm', this.nodeKey, iv);
      decipher.setAuthTag(sealed.subarray(sealed.byteLength - TAG_BYTES));
      const plain = decipher.update(sealed.subarray(0, sealed.byteLength - TAG_BYTES));
      // Throws when the tag does not verify; returns no bytes otherwise (a stream mode).
      decipher.final();
      return plain;
    }
    return globalThis.crypto.subtle.decrypt({ name: 'AES-GCM', iv }, this.key, sealed).then((plain) => new Uint8Array(plain));
  }
}
