import { afterEach, describe, expect, it } from '@jest/globals';
import { type Socket, io } from 'socket.io-client';
import { rawSocket, waitFor } from '../support/gateway-harness.js';
import { emitWithAck, expectHealthyPair, pairRaw, recordEvents, refusalOf, states, whenConnected } from '../support/wire.js';
import {
  type GraceGateway,
  connectWithToken,
  FAST_RECONNECT,
  dropAndHold,
  lifecycle,
  lifecycleOf,
  nextSession,
  startGraceGateway,
  tokenSocket,
} from './grace-support.js';

describe('reconnect grace: who may take a held or live id', () => {
  let gw: GraceGateway;
  let a: Socket;
  let b: Socket;
  afterEach(() => gw.close());

  async function startPaired(): Promise<void> {
    gw = await startGraceGateway({ reconnectGraceMs: 3000 });
    a = await connectWithToken(gw, 'A', 'token-a');
    b = await connectWithToken(gw, 'B', 'token-b');
    await pairRaw(a, b, 'B');
  }

  it('takeover by session token of a live-looking socket keeps the pairing; the old socket is closed by the server', async () => {
    await startPaired();
    const atB = recordEvents(b);
    const oldClosed = waitFor<[string]>(a, 'disconnect');
    const fresh = tokenSocket(gw, 'A', 'token-a', { reconnection: false });
    const session = nextSession(fresh);
    expect(await session).toEqual([{ resumed: true, peerId: 'B' }]);
    expect(await oldClosed).toEqual(['io server disconnect']);
    expect(await states(gw)).toEqual({ A: 'paired', B: 'paired' });
    expect(await gw.service.getClient('A')).toMatchObject({ peerId: 'B', state: 'paired' });
    await expectHealthyPair(fresh, b, 'B');
    expect(atB.filter(([event]) => event !== 'health-check')).toEqual([]);
    expect(lifecycleOf(gw, 'A').filter((type) => ['away', 'resumed', 'disconnected', 'unpaired'].includes(type))).toEqual(['resumed']);
    expect(a.active).toBe(false); // 'io server disconnect' is final: the old socket will not reconnect by itself
  });

  it('turns away a stranger claiming the id of a client that is away, with or without another token; A still resumes', async () => {
    await startPaired();
    const received = waitFor(a, 'note');
    const away = dropAndHold(a);
    await lifecycle(gw, { type: 'away', clientId: 'A' });
    expect(await emitWithAck(b, 'P2P_EMIT', { event: 'note', args: ['kept'] })).toEqual([null]);

    const strangers = [
      tokenSocket(gw, 'A', undefined, { reconnection: false }),
      tokenSocket(gw, 'A', 'someone-else', { reconnection: false }),
      rawSocket(gw, { clientId: 'A' }),
    ];
    for (const stranger of strangers) {
      expect((await refusalOf(stranger)).data).toMatchObject({ code: 'CLIENT_ID_TAKEN' });
    }
    expect(await states(gw)).toEqual({ A: 'paired', B: 'paired' });

    const session = nextSession(a);
    await away.comeBack();
    expect(await session).toEqual([{ resumed: true, peerId: 'B' }]);
    expect(await received).toEqual(['kept']);
    await expectHealthyPair(a, b, 'B');
  });

  it("under duplicateClientId 'replace', a newcomer with another token ends the held pairing: B is told REPLACED", async () => {
    gw = await startGraceGateway({ reconnectGraceMs: 3000, duplicateClientId: 'replace' });
    a = await connectWithToken(gw, 'A', 'token-a');
    b = await connectWithToken(gw, 'B', 'token-b');
    await pairRaw(a, b, 'B');
    const away = dropAndHold(a);
    await lifecycle(gw, { type: 'away', clientId: 'A' });
    const held = emitWithAck(b, 'P2P_EMIT_ACKNOWLEDGE', { event: 'question', args: [] });
    const told = waitFor(b, 'P2P_DISCONNECT');
    const newcomer = await connectWithToken(gw, 'A', 'another-token', { reconnection: false });
    expect(await told).toEqual(['A', 'REPLACED']);
    expect(await held).toEqual([{ code: 'PEER_DISCONNECTED', message: expect.any(String), event: 'P2P_EMIT_ACKNOWLEDGE' }]);
    expect(await states(gw)).toEqual({ A: 'free', B: 'free' });

    // The old session coming back now is a stranger to the newcomer's record: replace lets it in, free.
    const session = nextSession(a);
    const newcomerClosed = waitFor(newcomer, 'disconnect');
    await away.comeBack();
    expect(await session).toEqual([{ resumed: false }]);
    expect(await newcomerClosed).toEqual(['io server disconnect']);
  });

  it('with authenticate, the authenticated identity is the session: a client without a token resumes', async () => {
    const users: Record<string, string> = { 'jwt-a': 'A', 'jwt-b': 'B' };
    gw = await startGraceGateway({
      reconnectGraceMs: 3000,
      authenticate: (handshake) => users[String((handshake.auth as { jwt?: unknown }).jwt)] ?? null,
    });
    const withJwt = (jwt: string) => {
      const socket = io(gw.url, { auth: { jwt, p2pProtocol: 2 }, transports: ['websocket'], forceNew: true, ...FAST_RECONNECT });
      gw.sockets.push(socket);
      return socket;
    };
    a = await whenConnected(withJwt('jwt-a'));
    b = await whenConnected(withJwt('jwt-b'));
    await pairRaw(a, b, 'B');
    const away = dropAndHold(a);
    await lifecycle(gw, { type: 'away', clientId: 'A' });
    expect(await emitWithAck(b, 'P2P_EMIT', { event: 'note', args: ['held'] })).toEqual([null]);
    expect((await refusalOf(rawSocket(gw, { clientId: 'A' }))).data).toMatchObject({ code: 'UNAUTHORIZED' });
    const received = waitFor(a, 'note');
    const session = nextSession(a);
    await away.comeBack();
    expect(await session).toEqual([{ resumed: true, peerId: 'B' }]);
    expect(await received).toEqual(['held']);
    await expectHealthyPair(a, b, 'B');
  });
});
