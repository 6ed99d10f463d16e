import { afterEach, describe, expect, it } from '@jest/globals';
import { io } from 'socket.io-client';
import { P2pClient } from '../../packages/client/src/index.js';
import type { P2pAuthenticateHook, P2pHandshake } from '../../packages/server/src/index.js';
import { type GatewayHarness, startGateway, waitFor } from '../support/gateway-harness.js';
import { eventually, expectHealthyPair, listClients, pairRaw, refusalOf, whenConnected } from '../support/wire.js';
import { authSocket, collect, connectWithAuth } from './security-support.js';

/** Bearer tokens the tests' authenticate hook knows: token -> clientId. */
const TOKENS: Record<string, string> = { 't-alice': 'alice', 't-alice-2': 'alice', 't-bob': 'bob', 't-bad': 'not valid!' };

function tokenOf(handshake: P2pHandshake): string | undefined {
  const token = (handshake.auth as { token?: unknown }).token;
  return typeof token === 'string' ? token : undefined;
}

const byToken: P2pAuthenticateHook = (handshake) => TOKENS[tokenOf(handshake) ?? ''] ?? null;

describe('security: authenticate', () => {
  let gw: GatewayHarness;
  afterEach(() => gw.close());

  it('admits the clientId the hook returns; a client that claims none is known by it', async () => {
    gw = await startGateway({ authenticate: byToken });
    const alice = await connectWithAuth(gw, { token: 't-alice' });
    expect(await listClients(alice)).toEqual(['alice']);
    expect((await gw.service.getClient('alice'))?.protocolVersion).toBe(2);
  });

  it('accepts {clientId} and promises of either form', async () => {
    gw = await startGateway({
      authenticate: async (handshake) => {
        const token = tokenOf(handshake);
        if (token === 't-bob') return { clientId: 'bob' };
        return token ? TOKENS[token] : null;
      },
    });
    await connectWithAuth(gw, { token: 't-alice' });
    const bob = await connectWithAuth(gw, { token: 't-bob' });
    expect(await listClients(bob)).toEqual(['alice', 'bob']);
  });

  it.each([
    ['null', null],
    ['false', false],
    ['undefined', undefined],
    ['an empty string', ''],
    ['an object without a clientId', { id: 'alice' }],
    ['a number', 42],
  ])('refuses with UNAUTHORIZED when the hook returns %s', async (_name, result) => {
    gw = await startGateway({ authenticate: () => result as never });
    const error = await refusalOf(authSocket(gw, { token: 't-alice', clientId: 'alice' }));
    expect(error.data).toEqual({ code: 'UNAUTHORIZED', message: expect.any(String) });
    expect(await gw.service.listClients()).toEqual([]);
  });

  it('refuses with UNAUTHORIZED when the hook throws or rejects, and keeps serving others', async () => {
    gw = await startGateway({
      authenticate: (handshake) => {
        const token = tokenOf(handshake);
        if (token === 'throw') throw new Error('invalid signature');
        if (token === 'reject') return Promise.reject(new Error('expired'));
        return TOKENS[token ?? ''] ?? null;
      },
    });
    expect((await refusalOf(authSocket(gw, { token: 'throw' }))).data?.code).toBe('UNAUTHORIZED');
    expect((await refusalOf(authSocket(gw, { token: 'reject' }))).data?.code).toBe('UNAUTHORIZED');
    const alice = await connectWithAuth(gw, { token: 't-alice' });
    expect(await listClients(alice)).toEqual(['alice']);
  });

  it('refuses with UNAUTHORIZED when the hook does not answer within authenticateTimeoutMs, and ignores its late answer', async () => {
    let lateAnswers = 0;
    gw = await startGateway({
      authenticateTimeoutMs: 200,
      authenticate: (handshake) =>
        tokenOf(handshake) === 'slow'
          ? new Promise((resolve) => setTimeout(() => resolve((lateAnswers++, 'slowpoke')), 600))
          : byToken(handshake),
    });
    const error = await refusalOf(authSocket(gw, { token: 'slow' }));
    expect(error.data?.code).toBe('UNAUTHORIZED');
    await eventually(() => lateAnswers === 1);
    // A whole handshake and a request through the gateway after the late answer: whatever it caused has happened.
    const bob = await connectWithAuth(gw, { token: 't-bob' });
    expect(await listClients(bob)).toEqual(['bob']);
    expect(await gw.service.getClient('slowpoke')).toBeUndefined();
  });

  it('refuses a claimed clientId other than the authenticated one (auth or query) with UNAUTHORIZED', async () => {
    gw = await startGateway({ authenticate: byToken });
    const viaAuth = await refusalOf(authSocket(gw, { token: 't-alice', clientId: 'bob' }));
    expect(viaAuth.data?.code).toBe('UNAUTHORIZED');
    const viaQuery = await refusalOf(authSocket(gw, { token: 't-alice' }, { clientId: 'bob' }));
    expect(viaQuery.data?.code).toBe('UNAUTHORIZED');
    expect(await gw.service.listClients()).toEqual([]);

    const matching = await whenConnected(authSocket(gw, { token: 't-alice', clientId: 'alice' }, { clientId: 'alice' }));
    expect(await listClients(matching)).toEqual(['alice']);
  });

  it('holds the authenticated id to the clientId rules (INVALID_CLIENT_ID)', async () => {
    gw = await startGateway({ authenticate: byToken });
    const error = await refusalOf(authSocket(gw, { token: 't-bad' }));
    expect(error.data?.code).toBe('INVALID_CLIENT_ID');
  });

  it('lets a newcomer of the same identity take the id over under the refuse policy, whatever its session token', async () => {
    gw = await startGateway({ authenticate: byToken });
    const old = await connectWithAuth(gw, { token: 't-alice', sessionToken: 'device-1' });
    const bob = await connectWithAuth(gw, { token: 't-bob' });
    const oldDropped = waitFor(old, 'disconnect');

    // Another login of alice: another bearer token, another session token.
    const fresh = await connectWithAuth(gw, { token: 't-alice-2', sessionToken: 'device-2' });

    expect((await oldDropped)[0]).toBe('io server disconnect');
    expect(await listClients(fresh)).toEqual(['alice', 'bob']);
    await pairRaw(fresh, bob, 'bob');
    await expectHealthyPair(fresh, bob, 'bob');
  });

  it('treats a paired holder and a newcomer of the same identity as one session: the pairing carries over', async () => {
    gw = await startGateway({ authenticate: byToken });
    const old = await connectWithAuth(gw, { token: 't-alice', sessionToken: 'device-1' });
    const bob = await connectWithAuth(gw, { token: 't-bob' });
    await pairRaw(old, bob, 'bob');
    const oldDropped = waitFor(old, 'disconnect');
    const bobNotices = collect(bob, 'P2P_DISCONNECT');

    const fresh = await connectWithAuth(gw, { token: 't-alice-2', sessionToken: 'device-2' });

    await oldDropped;
    await expectHealthyPair(fresh, bob, 'bob');
    expect(await gw.service.peerOf('bob')).toBe('alice');
    expect(bobNotices).toEqual([]);
  });

  it('never lets another identity take an id: it cannot even claim it', async () => {
    gw = await startGateway({ authenticate: byToken, duplicateClientId: 'refuse' });
    const alice = await connectWithAuth(gw, { token: 't-alice' });
    expect((await refusalOf(authSocket(gw, { token: 't-bob', clientId: 'alice' }))).data?.code).toBe('UNAUTHORIZED');
    expect(alice.connected).toBe(true);
    expect(await listClients(alice)).toEqual(['alice']);
  });

  it('works with P2pClient, which sends its own random session token and no clientId', async () => {
    gw = await startGateway({ authenticate: byToken });
    const open = (token: string) => {
      const socket = io(gw.url, { transports: ['websocket'], reconnection: false, forceNew: true, autoConnect: false, auth: { token } });
      gw.sockets.push(socket);
      const client = new P2pClient(socket);
      socket.connect();
      return client;
    };
    const bob = open('t-bob');
    const alice = open('t-alice');
    await whenConnected(bob.socket);
    await whenConnected(alice.socket);
    await alice.pair('bob');
    expect(await gw.service.peerOf('bob')).toBe('alice');
    bob.socket.on('hello', (text: string, reply: (answer: string) => void) => reply(`${text}, alice`));
    await expect(alice.emitWithAck('hello', 'hi')).resolves.toBe('hi, alice');
  });
});
