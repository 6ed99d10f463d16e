import { afterEach, describe, expect, it } from '@jest/globals';
import type { Socket } from 'socket.io-client';
import { emitWithAck, eventually, expectHealthyPair, listClients, nextP2pError, pairRaw, states } from '../support/wire.js';
import { type GraceGateway, connectWithToken, dropAndHold, lifecycle, nextSession, startGraceGateway } from './grace-support.js';

describe('reconnect grace: the pairing ends while A is away', () => {
  let gw: GraceGateway;
  let a: Socket;
  let b: Socket;
  let away: { comeBack(): Promise<Socket> };
  afterEach(() => gw.close());

  async function startWithAAway(): Promise<void> {
    gw = await startGraceGateway({ reconnectGraceMs: 20_000 });
    a = await connectWithToken(gw, 'A', 'token-a');
    b = await connectWithToken(gw, 'B', 'token-b');
    await pairRaw(a, b, 'B');
    away = dropAndHold(a);
    await lifecycle(gw, { type: 'away', clientId: 'A' });
  }

  /** A's held record is gone well before the grace would end, and A's comeback starts free. */
  async function expectAReleased(): Promise<void> {
    await eventually(async () => (await gw.service.getClient('A')) === undefined);
    const session = nextSession(a);
    await away.comeBack();
    expect(await session).toEqual([{ resumed: false }]);
    expect((await gw.service.getClient('A'))?.state).toBe('free');
  }

  it('B unregisters: B is answered, its held relays fail with PEER_DISCONNECTED, A is released', async () => {
    await startWithAAway();
    const held = emitWithAck(b, 'P2P_EMIT_ACKNOWLEDGE', { event: 'question', args: [] });
    b.emit('P2P_EMIT', { event: 'note', args: [] });
    const error = nextP2pError(b);
    expect(await emitWithAck(b, 'P2P_UNREGISTER')).toEqual([true]);
    expect(await held).toEqual([{ code: 'PEER_DISCONNECTED', message: expect.any(String), event: 'P2P_EMIT_ACKNOWLEDGE' }]);
    expect(await error).toMatchObject({ code: 'PEER_DISCONNECTED', event: 'P2P_EMIT', message: expect.stringContaining('1 relayed') });
    expect(gw.events.find((event) => event.type === 'unpaired')).toMatchObject({ clientId: 'B', peerId: 'A', reason: 'UNREGISTERED' });
    await expectAReleased();
    await pairRaw(a, b, 'B');
    await expectHealthyPair(a, b, 'B');
  });

  it('the host app unpairs A through PairingService: B is told, A is released', async () => {
    await startWithAAway();
    const told = nextP2pDisconnect(b);
    await expect(gw.service.unpair('A', 'MODERATED')).resolves.toBe(true);
    expect(await told).toEqual(['A', 'MODERATED']);
    await expectAReleased();
  });

  it('B disconnects on purpose: A is released, not left as a free ghost that others could ask to pair', async () => {
    await startWithAAway();
    b.disconnect();
    await eventually(async () => (await gw.service.getClient('B')) === undefined);
    const c = await connectWithToken(gw, 'C', 'token-c');
    expect(await listClients(c, { available: true })).toEqual(['C']);
    await expectAReleased();
    expect(await states(gw)).toEqual({ A: 'free', C: 'free' });
  });
});

function nextP2pDisconnect(socket: Socket): Promise<unknown[]> {
  return new Promise((resolve) => socket.once('P2P_DISCONNECT', (...args: unknown[]) => resolve(args)));
}
