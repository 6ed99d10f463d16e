import { afterEach, describe, expect, it } from '@jest/globals';
import type { P2pClientOptions, P2pError, UndeliveredMessage } from '../../packages/client/src/index.js';
import { P2pClient } from '../../packages/client/src/index.js';
import { type GatewayHarness, connectClient, rawSocket, settle, startGateway } from '../support/gateway-harness.js';
import { eventually } from '../support/eventually.js';
import { spyOn } from './e2e-gateway.js';

const MARK = 'plainMARKQZ';

/** What an e2e client reports: errors, undelivered messages, unpairings. */
function watch(client: P2pClient) {
  const seen = { errors: [] as string[], undelivered: [] as UndeliveredMessage[], unpaired: [] as string[] };
  client.on('error', (error: P2pError) => seen.errors.push(error.code));
  client.on('undelivered', (messages) => seen.undelivered.push(...messages));
  client.on('unpaired', (_peer, reason) => seen.unpaired.push(reason));
  return seen;
}

describe('end-to-end encryption: a peer that does not encrypt', () => {
  let gw: GatewayHarness;
  afterEach(async () => gw?.close());

  const peers: [string, P2pClientOptions][] = [
    ['a protocol-3 client without e2e', {}],
    ['a protocol-2 client (no reliable channel)', { reliable: false }],
  ];

  for (const [name, peerOptions] of peers) {
    for (const e2eId of ['A', 'B']) {
      it(`${name}: the pairing ends with E2E_REQUIRED, and nothing of the app is sent (e2e side ${e2eId === 'A' ? 'first' : 'second'})`, async () => {
        gw = await startGateway();
        const spy = spyOn(gw);
        const plainId = e2eId === 'A' ? 'B' : 'A';
        const secure = await connectClient(gw, e2eId, { e2e: true });
        const plain = await connectClient(gw, plainId, peerOptions);
        const seen = watch(secure);
        const plainGot: unknown[] = [];
        plain.socket.onAny((...args: unknown[]) => plainGot.push(args));
        secure.on('paired', () => {
          secure.emit('note', `${MARK} sent at once`);
        });
        await secure.pair(plainId);
        await eventually(() => expect(seen.unpaired).toEqual(['E2E_REQUIRED']));
        await eventually(() => expect(plain.state).toBe('idle'));
        expect(secure.secure).toBe(false);
        expect(seen.errors).toContain('E2E_REQUIRED');
        if (peerOptions.reliable === false) {
          // No channel to seal it in: refused at once.
          expect(seen.undelivered).toEqual([]);
        } else {
          // The message waited in the channel for keys that never came: reported, never sent.
          expect(seen.undelivered).toEqual([{ event: 'note', args: [`${MARK} sent at once`] }]);
        }
        // After the end, emit refuses at once rather than sending anything unsealed.
        secure.emit('note', `${MARK} after`);
        await eventually(() => expect(seen.errors).toContain('NOT_PAIRED'));
        await settle(200);
        expect(spy.count(MARK)).toBe(0);
        expect(plainGot.filter((args) => JSON.stringify(args).includes(MARK))).toEqual([]);
      });
    }
  }

  it('an original client (socket.io-client, protocol 1): the pairing ends, nothing sent', async () => {
    gw = await startGateway();
    const spy = spyOn(gw);
    const secure = await connectClient(gw, 'A', { e2e: true });
    const old = rawSocket(gw, { clientId: 'B' });
    await new Promise<void>((resolve) => old.once('connect', () => resolve()));
    // The original client accepts every request, as the original plugin's clients did.
    old.on('P2P_REGISTER', (sourceId: string) => old.emit('P2P_REGISTER_SUCCESS', sourceId));
    const seen = watch(secure);
    await secure.pair('B');
    secure.emit('note', MARK);
    await eventually(() => expect(seen.unpaired).toEqual(['E2E_REQUIRED']));
    await settle(200);
    expect(spy.count(MARK)).toBe(0);
  });

  it('a client without e2e that sends in the clear: its messages never reach the app of the e2e side', async () => {
    gw = await startGateway();
    const secure = await connectClient(gw, 'B', { e2e: true });
    const plain = await connectClient(gw, 'A', {});
    const seen = watch(secure);
    const got: unknown[] = [];
    secure.socket.on('note', (...args: unknown[]) => got.push(args));
    plain.on('paired', () => {
      for (let i = 0; i < 5; i++) plain.emit('note', i);
    });
    await plain.pair('B');
    await eventually(() => expect(seen.unpaired).toEqual(['E2E_REQUIRED']));
    await settle(200);
    expect(got).toEqual([]);
  });

  it('refuses e2e without the reliable channel at once', () => {
    const socket = rawSocket({ url: 'http://127.0.0.1:9', sockets: [] } as unknown as GatewayHarness, {}, { autoConnect: false });
    expect(() => new P2pClient(socket, { clientId: 'A', e2e: true, reliable: false })).toThrow(
      expect.objectContaining({ code: 'E2E_REQUIRED' }),
    );
  });
});
