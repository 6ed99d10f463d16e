import { describe, expect, it, jest } from '@jest/globals';
import * as nodeAgreement from '../../packages/client/src/e2e/key.agreement.js';
import * as nodeSealer from '../../packages/client/src/e2e/message.sealer.js';
import type * as nodeBatcher from '../../packages/client/src/e2e/seal.batcher.js';
import type { OutgoingMessage } from '../../packages/client/src/reliable-channel-host.interface.js';

type Agreement = typeof nodeAgreement;
type Sealer = typeof nodeSealer;
type Batcher = typeof nodeBatcher;

/**
 * The e2e modules as a browser loads them: without `process.getBuiltinModule` (no `node:crypto`) and without `Buffer`,
 * so key agreement, sealing and base64 take their WebCrypto and plain-JavaScript paths. Imported in an isolated
 * module registry (instances of their own); both globals are put back at once.
 */
async function browserModules(): Promise<{ agreement: Agreement; sealer: Sealer; batcher: Batcher }> {
  const processObject = process as { getBuiltinModule?: unknown };
  const getBuiltinModule = processObject.getBuiltinModule;
  const globals = globalThis as { Buffer?: unknown };
  const buffer = globals.Buffer;
  processObject.getBuiltinModule = undefined;
  globals.Buffer = undefined;
  try {
    let modules: { agreement: Agreement; sealer: Sealer; batcher: Batcher } | undefined;
    // A registry of their own: the runtime module reads the globals once, as it loads.
    await jest.isolateModulesAsync(async () => {
      const agreement = (await import('../../packages/client/src/e2e/key.agreement.js')) as Agreement;
      const sealer = (await import('../../packages/client/src/e2e/message.sealer.js')) as Sealer;
      const batcher = (await import('../../packages/client/src/e2e/seal.batcher.js')) as Batcher;
      modules = { agreement, sealer, batcher };
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
      const transcript = nodeAgreement.transcriptOf({ id: `browser-${trial}`, ...first }, { id: `node-${trial}`, ...second });
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

  it('seals a burst in batches with WebCrypto (asynchronous): released once sealed, opened by Node', async () => {
    const browser = await browserModules();
    const first = await browser.agreement.ephemeralKey();
    const second = await nodeAgreement.ephemeralKey();
    const transcript = nodeAgreement.transcriptOf({ id: 'browser', ...first }, { id: 'node', ...second });
    const inBrowser = await browser.agreement.deriveSession(first, second.publicKey, transcript);
    const inNode = await nodeAgreement.deriveSession(second, first.publicKey, transcript);
    const failures: unknown[] = [];
    const batcher = new browser.batcher.SealBatcher(new browser.sealer.MessageSealer(inBrowser.firstToSecond, 0, inBrowser.secondToFirst), {
      live: () => true,
      failed: (cause) => failures.push(cause),
      maxMessageBytes: () => undefined,
    });
    // Three small messages, one too long to share a batch, then two more: a batch, one alone, a batch.
    const messages: OutgoingMessage[] = [1, 2, 3, 4, 5, 6].map((seq) => ({
      seq,
      event: 'note',
      args: [seq === 4 ? 'y'.repeat(2000) : `m${seq}`],
      wantsReply: false,
      bytes: 0,
    }));
    let releases = 0;
    let released!: () => void;
    const allReleased = new Promise<void>((resolve) => (released = resolve));
    for (const message of messages) {
      batcher.add(message, () => {
        releases++;
        if (messages.every((each) => !each.held)) released();
      });
    }
    expect(messages.every((message) => message.held)).toBe(true);
    await allReleased;
    expect(failures).toEqual([]);
    // The end of the turn, then each of the three sealings as it completes.
    expect(releases).toBe(4);
    expect(messages.map((message) => [message.batchSize, message.batched ?? false])).toEqual([
      [3, false],
      [undefined, true],
      [undefined, true],
      [undefined, false],
      [2, false],
      [undefined, true],
    ]);
    const nodeSide = new nodeSealer.MessageSealer(inNode.secondToFirst, 1, inNode.firstToSecond);
    const opened = [0, 3, 4].flatMap((i) => {
      const frame = { s: messages[i]!.seq, z: messages[i]!.sealed, ...(messages[i]!.batchSize ? { n: messages[i]!.batchSize } : {}) };
      return [nodeSide.open(frame)].flat() as { s: number; a: unknown[] }[];
    });
    expect(opened.map((frame) => [frame.s, frame.a[0]])).toEqual(messages.map((message) => [message.seq, message.args[0]]));
  });
});
