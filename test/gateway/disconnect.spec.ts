import { afterEach, describe, expect, it } from '@jest/globals';
import type { Socket } from 'socket.io-client';
import { type GatewayHarness, connectClient, startGateway, waitFor } from '../support/gateway-harness.js';
import {
  askRaw,
  connectRaw,
  emitWithAck,
  eventually,
  expectHealthyPair,
  expectNoEvent,
  listClients,
  nextP2pError,
  pairRaw,
  recordEvents,
  states,
  watchNothing,
} from '../support/wire.js';

describe('gateway: leaving at each moment', () => {
  let gw: GatewayHarness;
  let a: Socket;
  let b: Socket;
  let c: Socket;

  async function start(): Promise<void> {
    gw = await startGateway({ pairTimeoutMs: 5000 });
    [a, b, c] = await Promise.all([connectRaw(gw, 'A'), connectRaw(gw, 'B'), connectRaw(gw, 'C')]);
  }
  const gone = (id: string) => eventually(async () => (await gw.service.getClient(id)) === undefined);
  afterEach(() => gw.close());

  it('idle: the client is removed and nobody is sent anything', async () => {
    await start();
    const others = watchNothing([b, c]);
    a.disconnect();
    await gone('A');
    await others.verify();
    expect(await listClients(b)).toEqual(['B', 'C']);
  });

  it('asking: the target gets P2P_DISCONNECT(source, DISCONNECTED) and is free to be asked again', async () => {
    await start();
    await askRaw(a, b, 'B');
    const withdrawn = waitFor(b, 'P2P_DISCONNECT');
    a.disconnect();
    expect(await withdrawn).toEqual(['A', 'DISCONNECTED']);
    await gone('A');
    expect(await states(gw)).toEqual({ B: 'free', C: 'free' });
    await pairRaw(c, b, 'B');
    await expectHealthyPair(c, b, 'B');
  });

  it('being asked: the source gets ack(false, PEER_DISCONNECTED) and is free to ask again', async () => {
    await start();
    const { answer } = await askRaw(a, b, 'B');
    b.disconnect();
    expect(await answer).toEqual([false, { code: 'PEER_DISCONNECTED', message: expect.any(String), event: 'P2P_REGISTER' }]);
    await gone('B');
    expect(await states(gw)).toEqual({ A: 'free', C: 'free' });
    await pairRaw(a, c, 'C');
  });

  it('paired: the peer gets P2P_DISCONNECT(id, DISCONNECTED), both are free, the survivor pairs again', async () => {
    await start();
    await pairRaw(a, b, 'B');
    const told = waitFor(b, 'P2P_DISCONNECT');
    a.disconnect();
    expect(await told).toEqual(['A', 'DISCONNECTED']);
    await gone('A');
    expect(await states(gw)).toEqual({ B: 'free', C: 'free' });
    expect(await gw.service.listPairings()).toEqual([]);
    const error = nextP2pError(b);
    b.emit('P2P_EMIT', { event: 'anything', args: [] });
    expect(await error).toMatchObject({ code: 'NOT_PAIRED' });
    await pairRaw(c, b, 'B');
    await expectHealthyPair(c, b, 'B');
  });

  it('paired, through P2pClient: the survivor emits unpaired(peer, DISCONNECTED) and becomes idle', async () => {
    gw = await startGateway();
    const target = await connectClient(gw, 'B');
    const source = await connectClient(gw, 'A');
    await source.pair('B');
    const unpaired = waitFor(target, 'unpaired');
    source.socket.disconnect();
    expect(await unpaired).toEqual(['A', 'DISCONNECTED']);
    expect([target.state, target.peerId]).toEqual(['idle', undefined]);
  });

  describe('P2P_UNREGISTER', () => {
    it('paired: ack(true), the peer gets P2P_DISCONNECT(id, UNREGISTERED), the leaver is not told', async () => {
      await start();
      await pairRaw(a, b, 'B');
      const leaverLog = recordEvents(a);
      const told = waitFor(b, 'P2P_DISCONNECT');
      expect(await emitWithAck(a, 'P2P_UNREGISTER')).toEqual([true]);
      expect(await told).toEqual(['A', 'UNREGISTERED']);
      await expectNoEvent(a, 'P2P_DISCONNECT');
      expect(leaverLog).toEqual([]);
      expect(await states(gw)).toEqual({ A: 'free', B: 'free', C: 'free' });
      await pairRaw(b, a, 'A');
    });

    it('paired, original style without an ack: the pairing still ends and the peer is told', async () => {
      await start();
      await pairRaw(a, b, 'B');
      const told = waitFor(b, 'P2P_DISCONNECT');
      const silence = watchNothing([a], 'P2P_ERROR');
      a.emit('P2P_UNREGISTER');
      expect(await told).toEqual(['A', 'UNREGISTERED']);
      await silence.verify();
      expect(await gw.service.peerOf('A')).toBeUndefined();
    });

    it('not paired: ack(false, NOT_PAIRED)', async () => {
      await start();
      expect(await emitWithAck(a, 'P2P_UNREGISTER')).toEqual([
        false,
        { code: 'NOT_PAIRED', message: expect.any(String), event: 'P2P_UNREGISTER' },
      ]);
    });

    it('not paired, without an ack: a P2P_ERROR event carrying NOT_PAIRED', async () => {
      await start();
      const error = nextP2pError(a);
      a.emit('P2P_UNREGISTER');
      expect(await error).toEqual({ code: 'NOT_PAIRED', message: expect.any(String), event: 'P2P_UNREGISTER' });
    });

    it('while asking: NOT_PAIRED, and the open request is left as it was', async () => {
      await start();
      const { answer } = await askRaw(a, b, 'B');
      expect((await emitWithAck(a, 'P2P_UNREGISTER'))[1]).toMatchObject({ code: 'NOT_PAIRED' });
      expect(await states(gw)).toEqual({ A: 'asking', B: 'asked', C: 'free' });
      b.emit('P2P_REGISTER_SUCCESS', 'A');
      expect(await answer).toEqual([true]);
    });

    it('through P2pClient: unpair() ends it on both sides with reason UNREGISTERED', async () => {
      gw = await startGateway();
      const target = await connectClient(gw, 'B');
      const source = await connectClient(gw, 'A');
      await source.pair('B');
      const unpaired = waitFor(target, 'unpaired');
      await source.unpair();
      expect(await unpaired).toEqual(['A', 'UNREGISTERED']);
      expect([source.state, target.state]).toEqual(['idle', 'idle']);
      await expect(source.unpair()).rejects.toMatchObject({ code: 'NOT_PAIRED' });
    });
  });
});
