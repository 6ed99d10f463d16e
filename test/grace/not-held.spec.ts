import { afterEach, describe, expect, it } from '@jest/globals';
import type { Socket } from 'socket.io-client';
import { rawSocket, waitFor } from '../support/gateway-harness.js';
import { askRaw, connectRaw, eventually, pairRaw, refusalOf, states, whenConnected } from '../support/wire.js';
import { type GraceGateway, connectWithToken, dropTransport, nextSession, startGraceGateway, tokenSocket } from './grace-support.js';

/** Far longer than any wait below: a notice that arrives is one that was not held. */
const LONG_GRACE_MS = 20_000;
const AT_ONCE_MS = 3000;

describe('reconnect grace: who is not held', () => {
  let gw: GraceGateway;
  afterEach(() => gw.close());

  const gone = (id: string) => eventually(async () => (await gw.service.getClient(id)) === undefined);

  async function expectToldAtOnce(b: Socket, drop: () => void): Promise<void> {
    const told = waitFor(b, 'P2P_DISCONNECT', AT_ONCE_MS);
    drop();
    expect(await told).toEqual(['A', 'DISCONNECTED']);
    await gone('A');
    expect(await states(gw)).toEqual({ B: 'free' });
    expect(gw.events.some((event) => event.type === 'away')).toBe(false);
  }

  it('an original client (?clientId=, no session token) whose transport drops: the peer is told at once', async () => {
    gw = await startGraceGateway({ reconnectGraceMs: LONG_GRACE_MS });
    const a = await connectRaw(gw, 'A');
    const b = await connectRaw(gw, 'B');
    await pairRaw(a, b, 'B');
    await expectToldAtOnce(b, () => dropTransport(a));
    // Its id is free again straight away.
    await whenConnected(rawSocket(gw, { clientId: 'A' }));
  });

  it('a protocol 2 client without a session token whose transport drops: the peer is told at once', async () => {
    gw = await startGraceGateway({ reconnectGraceMs: LONG_GRACE_MS });
    const a = await connectWithToken(gw, 'A', undefined, { reconnection: false });
    const b = await connectWithToken(gw, 'B', 'token-b');
    await pairRaw(a, b, 'B');
    await expectToldAtOnce(b, () => dropTransport(a));
  });

  it('an intentional disconnect (socket.disconnect()) with a session token: the peer is told at once', async () => {
    gw = await startGraceGateway({ reconnectGraceMs: LONG_GRACE_MS });
    const a = await connectWithToken(gw, 'A', 'token-a');
    const b = await connectWithToken(gw, 'B', 'token-b');
    await pairRaw(a, b, 'B');
    await expectToldAtOnce(b, () => a.disconnect());
    // Nothing is held for the token either: a stranger may take the id now.
    await whenConnected(tokenSocket(gw, 'A', 'someone-else', { reconnection: false }));
  });

  it('reconnectGraceMs: 0 disables holding: the peer is told at once and the comeback starts free', async () => {
    gw = await startGraceGateway({ reconnectGraceMs: 0 });
    const a = await connectWithToken(gw, 'A', 'token-a');
    const b = await connectWithToken(gw, 'B', 'token-b');
    await pairRaw(a, b, 'B');
    const session = nextSession(a);
    await expectToldAtOnce(b, () => dropTransport(a));
    expect(await session).toEqual([{ resumed: false }]); // it reconnects by itself
    expect(await states(gw)).toEqual({ A: 'free', B: 'free' });
  });

  it('a client with a token that is not paired leaves at once: a pending request is withdrawn, the id is free', async () => {
    gw = await startGraceGateway({ reconnectGraceMs: LONG_GRACE_MS });
    const a = await connectWithToken(gw, 'A', 'token-a', { reconnection: false });
    const b = await connectWithToken(gw, 'B', 'token-b');
    await askRaw(a, b, 'B');
    await expectToldAtOnce(b, () => dropTransport(a));
    const stranger = tokenSocket(gw, 'A', 'someone-else', { reconnection: false });
    await whenConnected(stranger);

    // A free client is not held either: its id is taken by the next claimant at once.
    const c = await connectWithToken(gw, 'C', 'token-c', { reconnection: false });
    dropTransport(c);
    await gone('C');
    expect((await refusalOf(rawSocket(gw, { clientId: 'A' }))).data).toMatchObject({ code: 'CLIENT_ID_TAKEN' });
  });
});
