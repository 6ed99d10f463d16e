/** What the e2e code uses of `node:crypto`, when the runtime has it (typed here: the client does not import Node's). */
export interface NodeCipher {
  update(data: Uint8Array): Uint8Array;
  final(): Uint8Array;
  getAuthTag(): Uint8Array;
  setAuthTag(tag: Uint8Array): void;
}

/** A key of Node's crypto (`KeyObject`): opaque here. */
export interface NodeKeyObject {
  readonly type: string;
  export(options: { format: 'jwk' }): { x?: string };
}

/** An HMAC of Node's crypto, fed with `update`, read once with `digest`. */
export interface NodeHmac {
  update(data: Uint8Array): NodeHmac;
  digest(): Uint8Array<ArrayBuffer>;
}

export interface NodeCrypto {
  KeyObject: { from(key: CryptoKey): NodeKeyObject; [Symbol.hasInstance](value: unknown): boolean };
  createCipheriv(algorithm: string, key: NodeKeyObject, iv: Uint8Array): NodeCipher;
  createDecipheriv(algorithm: string, key: NodeKeyObject, iv: Uint8Array): NodeCipher;
  createHash(algorithm: 'sha256'): { update(data: Uint8Array): { digest(): Uint8Array<ArrayBuffer> } };
  generateKeyPairSync(type: 'x25519'): { publicKey: NodeKeyObject; privateKey: NodeKeyObject };
  createPublicKey(options: { key: { kty: 'OKP'; crv: 'X25519'; x: string }; format: 'jwk' }): NodeKeyObject;
  createSecretKey(key: Uint8Array): NodeKeyObject;
  diffieHellman(options: { privateKey: NodeKeyObject; publicKey: NodeKeyObject }): Uint8Array<ArrayBuffer>;
  createHmac(algorithm: 'sha256', key: Uint8Array): NodeHmac;
}

/**
 * Node's own crypto, without importing it (the client runs in browsers too): `process.getBuiltinModule` (Node 20.16+).
 * Its operations run synchronously: per small message or key exchange step, several times faster than WebCrypto's,
 * which queues each call to a worker thread and answers with a promise.
 */
export const nodeCrypto = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule?.(
  'node:crypto',
) as NodeCrypto | undefined;
