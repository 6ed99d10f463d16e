import { describe, expect, it, jest } from '@jest/globals';
import { concatBytes } from '../../packages/client/src/e2e/bytes.concat.js';
import { type EphemeralKey, commitmentOf, deriveSession, ephemeralKey, transcriptOf } from '../../packages/client/src/e2e/key.agreement.js';
import { MessageSealer, encodeInner, wireForm } from '../../packages/client/src/e2e/message.sealer.js';

/**
 * In Node the client agrees keys and seals through `node:crypto`, synchronously; browsers use WebCrypto. Both must give
 * the same bytes, or a Node peer and a browser peer could not talk: here the WebCrypto side is computed independently,
 * with `crypto.subtle`, as docs/e2e.md describes it, and checked against the client's own derivation and sealing.
 */
const LABEL = 'nest-p2p-gateway/e2e/1';
const encoder = new TextEncoder();
const subtle = globalThis.crypto.subtle;

function lengthPrefixed(fields: Uint8Array[]): Uint8Array<ArrayBuffer> {
  return concatBytes(
    fields.flatMap((field) => {
      const length = new Uint8Array(4);
      new DataView(length.buffer).setUint32(0, field.byteLength);
      return [length, field];
    }),
  );
}

async function webCryptoKey(): Promise<{ own: EphemeralKey; privateKey: CryptoKey }> {
  const pair = (await subtle.generateKey({ name: 'X25519' }, false, ['deriveBits'])) as CryptoKeyPair;
  const publicKey = new Uint8Array(await subtle.exportKey('raw', pair.publicKey));
  const nonce = globalThis.crypto.getRandomValues(new Uint8Array(16));
  return { own: { privateKey: pair.privateKey, publicKey, nonce }, privateKey: pair.privateKey };
}

describe('end-to-end encryption: Node and WebCrypto agree', () => {
  it('derives the same confirmations, code and AES keys, and seals what WebCrypto opens', async () => {
    for (let trial = 0; trial < 20; trial++) {
      const first = await webCryptoKey();
      const second = await ephemeralKey();
      const transcript = transcriptOf({ id: `first-${trial}`, ...first.own }, { id: `second-${trial}`, ...second });
      const mine = await deriveSession(first.own, second.publicKey, transcript);
      const theirs = await deriveSession(second, first.own.publicKey, transcript);

      // The reference, all through WebCrypto from the first side's non-extractable key.
      const peer = await subtle.importKey('raw', second.publicKey, { name: 'X25519' }, false, []);
      const shared = await subtle.deriveBits({ name: 'X25519', public: peer }, first.privateKey, 256);
      const fields = [encoder.encode(LABEL), encoder.encode(transcript.firstId), encoder.encode(transcript.secondId)];
      fields.push(first.own.publicKey, second.publicKey, first.own.nonce, second.nonce);
      const salt = await subtle.digest('SHA-256', lengthPrefixed(fields));
      const ikm = await subtle.importKey('raw', shared, 'HKDF', false, ['deriveBits', 'deriveKey']);
      const hkdf = (info: string) => ({ name: 'HKDF', hash: 'SHA-256', salt, info: encoder.encode(`${LABEL}/${info}`) });
      const bits = async (info: string, bytes: number) => new Uint8Array(await subtle.deriveBits(hkdf(info), ikm, bytes * 8));
      const code = new DataView((await bits('code', 8)).buffer).getBigUint64(0) % 1_000_000n;
      expect(mine.firstConfirmation).toEqual(await bits('confirm-first', 32));
      expect(mine.secondConfirmation).toEqual(await bits('confirm-second', 32));
      expect(mine.verificationCode).toBe(code.toString().padStart(6, '0'));
      expect([theirs.verificationCode, theirs.firstConfirmation]).toEqual([mine.verificationCode, mine.firstConfirmation]);

      // A message sealed by the client (first to second) opens with WebCrypto's key of that direction, and back.
      const webFirstToSecond = await subtle.deriveKey(hkdf('first-to-second'), ikm, { name: 'AES-GCM', length: 256 }, false, ['decrypt']);
      const sealer = new MessageSealer(mine.firstToSecond, 0, mine.secondToFirst);
      const sealed = sealer.seal({ seq: 7 + trial, event: 'note', args: [`hello ${trial}`], wantsReply: false, bytes: 0 });
      const iv = new Uint8Array(12);
      new DataView(iv.buffer).setBigUint64(4, BigInt(7 + trial));
      const plain = new Uint8Array(await subtle.decrypt({ name: 'AES-GCM', iv }, webFirstToSecond, await sealed));
      expect(plain[0]).toBe(0);
      expect(JSON.parse(new TextDecoder().decode(plain.subarray(1)))).toEqual({ e: 'note', a: [`hello ${trial}`] });
      const opener = new MessageSealer(theirs.secondToFirst, 1, theirs.firstToSecond);
      await expect(Promise.resolve(opener.open({ s: 7 + trial, z: wireForm(await sealed) }))).resolves.toEqual({
        s: 7 + trial,
        e: 'note',
        a: [`hello ${trial}`],
      });

      // A sealed batch (marker 2, the JSON array of its messages) under the nonce of its first number, likewise.
      const batch = [
        { seq: 100 + trial, event: 'note', args: [`one ${trial}`], wantsReply: true, bytes: 0 },
        { seq: 101 + trial, args: [`two ${trial}`], wantsReply: false, replyTo: 3, bytes: 0 },
      ];
      const sealedBatch = await sealer.sealBatch(
        batch,
        batch.map((message) => encodeInner(message) as string),
      );
      new DataView(iv.buffer).setBigUint64(4, BigInt(100 + trial));
      const batchPlain = new Uint8Array(await subtle.decrypt({ name: 'AES-GCM', iv }, webFirstToSecond, sealedBatch));
      expect(batchPlain[0]).toBe(2);
      expect(JSON.parse(new TextDecoder().decode(batchPlain.subarray(1)))).toEqual([
        { e: 'note', a: [`one ${trial}`], w: 1 },
        { r: 3, a: [`two ${trial}`] },
      ]);
      await expect(Promise.resolve(opener.open({ s: 100 + trial, n: 2, z: wireForm(sealedBatch) }))).resolves.toEqual([
        { s: 100 + trial, e: 'note', a: [`one ${trial}`], w: 1 },
        { s: 101 + trial, r: 3, a: [`two ${trial}`] },
      ]);
      // Its count is in the ciphertext: the same frame claiming another count, or none, does not open.
      for (const n of [undefined, 3]) expect(() => opener.open({ s: 100 + trial, n, z: wireForm(sealedBatch) })).toThrow();
    }
  });

  it('in Node, derives each output when it is first read, once: the first message needs the extract and one HMAC', async () => {
    // The same module object the client finds through process.getBuiltinModule: its HMACs are counted here.
    const node = process.getBuiltinModule('node:crypto');
    const hmacs = jest.spyOn(node, 'createHmac');
    try {
      const [first, second] = [await ephemeralKey(), await ephemeralKey()];
      const keys = await deriveSession(first, second.publicKey, transcriptOf({ id: 'A', ...first }, { id: 'B', ...second }));
      expect(hmacs).toHaveBeenCalledTimes(1);
      // What the first sealed message needs (its key), then what REVEAL carries (the first side's confirmation).
      const key = keys.firstToSecond;
      expect(keys.firstToSecond).toBe(key);
      expect(hmacs).toHaveBeenCalledTimes(2);
      expect(keys.firstConfirmation).toEqual(keys.firstConfirmation);
      expect(hmacs).toHaveBeenCalledTimes(3);
      // The rest as it is used, each once: seven outputs in all, after the extract.
      for (let read = 0; read < 2; read++) {
        void [keys.secondToFirst, keys.firstToSecondControl, keys.secondToFirstControl, keys.secondConfirmation, keys.verificationCode];
      }
      expect(hmacs).toHaveBeenCalledTimes(8);
    } finally {
      hmacs.mockRestore();
    }
  });

  it('commits to a key as SHA-256 over the label, the key and the nonce', async () => {
    const own = await ephemeralKey();
    const expected = await subtle.digest('SHA-256', concatBytes([encoder.encode(`${LABEL}/commit`), own.publicKey, own.nonce]));
    expect(await commitmentOf(own.publicKey, own.nonce)).toEqual(new Uint8Array(expected));
    expect(own.publicKey.byteLength).toBe(32);
  });
});
