import { describe, expect, it, jest } from '@jest/globals';
import * as nodeAgreement from '../../packages/client/src/e2e/key.agreement.js';
import * as nodeSealer from '../../packages/client/src/e2e/message.sealer.js';

type Agreement = typeof nodeAgreement;
type Sealer = typeof nodeSealer;

/**
 * The e2e modules as a browser loads them: without `process.getBuiltinModule` (no `node:crypto`) and without `Buffer`,
 * so key agreement, sealing and base64 take their WebCrypto and plain-JavaScript paths. Imported in an isolated
 * module registry (instances of their own); both globals are put back at once.
 */
async function browserModules(): Promise<{ agreement: Agreement; sealer: Sealer }> {
  const processObject = process as { getBuiltinModule?: unknown };
  const getBuiltinModule = processObject.getBuiltinModule;
  const globals = globalThis as { Buffer?: unknown };
  const buffer = globals.Buffer;
  processObject.getBuiltinModule = undefined;
  globals.Buffer = undefined;
  try {
    let modules: { agreement: Agreement; sealer: Sealer } | undefined;
    // A registry of their own: the runtime module reads the globals once, as it loads.
    await jest.isolateModulesAsync(async () => {
      const agreement = (await import('../../packages/client/src/e2e/key.agreement.js')) as Agreement;
      const sealer = (await import('../../packages/client/src/e2e/message.sealer.js')) as Sealer;
      modules = { agreement, sealer };
    });
    return modules!;
  } finally {
    processObject.getBuiltinModule = getBuiltinModule;
    globals.Buffer = buffer;
  }
}

describe('end-to-end encryption: a browser peer (WebCrypto) and a Node peer (node:crypto) talk', () => {
  it('agree on the code and confirmations, and open what the other sealed, both ways', async () => {
    const browser = await browserModules();
    for (let trial = 0; trial < 10; trial++) {
      const first = await browser.agreement.ephemeralKey();
      const second = await nodeAgreement.ephemeralKey();
      // The browser's private key is a WebCrypto key; Node's is not.
      expect(first.privateKey).toBeInstanceOf(CryptoKey);
      expect(second.privateKey).not.toBeInstanceOf(CryptoKey);
      const transcript = {
        firstId: `browser-${trial}`,
        secondId: `node-${trial}`,
        firstKey: first.publicKey,
        secondKey: second.publicKey,
        firstNonce: first.nonce,
        secondNonce: second.nonce,
      };
      const inBrowser = await browser.agreement.deriveSession(first, second.publicKey, transcript);
      const inNode = await nodeAgreement.deriveSession(second, first.publicKey, transcript);
      expect(inBrowser.verificationCode).toMatch(/^\d{6}$/);
      expect(inBrowser.verificationCode).toBe(inNode.verificationCode);
      expect(inBrowser.firstConfirmation).toEqual(new Uint8Array(inNode.firstConfirmation));
      expect(inBrowser.secondConfirmation).toEqual(new Uint8Array(inNode.secondConfirmation));
      expect(await browser.agreement.commitmentOf(first.publicKey, first.nonce)).toEqual(
        new Uint8Array(await nodeAgreement.commitmentOf(first.publicKey, first.nonce)),
      );

      const browserSide = new browser.sealer.MessageSealer(inBrowser.firstToSecond, 0, inBrowser.secondToFirst);
      const nodeSide = new nodeSealer.MessageSealer(inNode.secondToFirst, 1, inNode.firstToSecond);
      const message = { seq: 3 + trial, event: 'note', args: [`hello ${trial}`, { n: trial }], wantsReply: true, bytes: 0 };
      const fromBrowser = await browserSide.seal(message);
      expect(await nodeSide.open({ s: message.seq, z: browser.sealer.wireForm(fromBrowser) })).toEqual({
        s: message.seq,
        e: 'note',
        a: message.args,
        w: 1,
      });
      const reply = { seq: 2 + trial, args: [{ ok: trial }], wantsReply: false, replyTo: message.seq, bytes: 0 };
      const fromNode = await nodeSide.seal(reply);
      expect(await browserSide.open({ s: reply.seq, z: nodeSealer.wireForm(fromNode) })).toEqual({
        s: reply.seq,
        r: message.seq,
        a: reply.args,
      });
      // A sealed message moved to another number does not open on either side.
      await expect(
        Promise.resolve().then(() => nodeSide.open({ s: message.seq + 1, z: browser.sealer.wireForm(fromBrowser) })),
      ).rejects.toThrow();
      await expect(
        Promise.resolve().then(() => browserSide.open({ s: reply.seq + 1, z: nodeSealer.wireForm(fromNode) })),
      ).rejects.toThrow();
    }
  });
});
