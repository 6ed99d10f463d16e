import { afterEach, describe, expect, it } from '@jest/globals';
import type { Socket } from 'socket.io-client';
import { P2pError } from '../../packages/protocol/src/index.js';
import { type GatewayHarness, connectClient, startGateway, waitFor } from '../support/gateway-harness.js';
import {
  askRaw,
  connectRaw,
  emitWithAck,
  eventually,
  expectHealthyPair,
  listClients,
  nextP2pError,
  pairRaw,
  states,
  watchNothing,
} from '../support/wire.js';

const PAIR_TIMEOUT_MS = 300;

/** The source's ack of a refused P2P_REGISTER: a boolean first, for original clients, then the error. */
function refusedWith(code: string) {
  return [false, { code, message: expect.any(String), event: 'P2P_REGISTER' }];
}

describe('gateway: pairing', () => {
  let gw: GatewayHarness;
  let a: Socket;
  let b: Socket;
  let c: Socket;

  async function start(): Promise<void> {
    gw = await startGateway({ pairTimeoutMs: PAIR_TIMEOUT_MS });
    [a, b, c] = await Promise.all([connectRaw(gw, 'A'), connectRaw(gw, 'B'), connectRaw(gw, 'C')]);
  }
  afterEach(() => gw.close());

  it('pairs: the target is asked with P2P_REGISTER(sourceId), consents, and the source gets ack(true)', async () => {
    await start();
    const asked = waitFor(b, 'P2P_REGISTER');
    const answer = emitWithAck(a, 'P2P_REGISTER', 'B');
    expect(await asked).toEqual(['A']);
    expect(await states(gw)).toEqual({ A: 'asking', B: 'asked', C: 'free' });
    expect(await emitWithAck(b, 'P2P_REGISTER_SUCCESS', 'A')).toEqual([true]);
    expect(await answer).toEqual([true]);
    expect(await gw.service.peerOf('A')).toBe('B');
    expect(await gw.service.peerOf('B')).toBe('A');
    expect(await listClients(c, { available: true })).toEqual(['C']);
    await expectHealthyPair(a, b, 'B');
  });

  it('accepts the original bare P2P_REGISTER_SUCCESS with no arguments', async () => {
    await start();
    const { answer } = await askRaw(a, b, 'B');
    b.emit('P2P_REGISTER_SUCCESS');
    expect(await answer).toEqual([true]);
    await expectHealthyPair(a, b, 'B');
  });

  it('accepts the original bare P2P_REGISTER_FAILED with no arguments as a refusal', async () => {
    await start();
    const { answer } = await askRaw(a, b, 'B');
    b.emit('P2P_REGISTER_FAILED');
    expect(await answer).toEqual(refusedWith('PAIR_REFUSED'));
    expect(await states(gw)).toEqual({ A: 'free', B: 'free', C: 'free' });
  });

  it('refuses with PAIR_REFUSED when the target answers P2P_REGISTER_FAILED; both are free again', async () => {
    await start();
    const { answer } = await askRaw(a, b, 'B');
    expect(await emitWithAck(b, 'P2P_REGISTER_FAILED', 'A')).toEqual([true]);
    expect(await answer).toEqual(refusedWith('PAIR_REFUSED'));
    expect(await listClients(a, { available: true })).toEqual(['A', 'B', 'C']);
    await pairRaw(a, b, 'B');
  });

  it('refuses with TARGET_OFFLINE when nobody holds the target id', async () => {
    await start();
    expect(await emitWithAck(a, 'P2P_REGISTER', 'nobody')).toEqual(refusedWith('TARGET_OFFLINE'));
    expect(await states(gw)).toEqual({ A: 'free', B: 'free', C: 'free' });
  });

  it('refuses with SELF_PAIRING when a client asks itself, and does not ask it', async () => {
    await start();
    const silence = watchNothing([a], 'P2P_REGISTER');
    expect(await emitWithAck(a, 'P2P_REGISTER', 'A')).toEqual(refusedWith('SELF_PAIRING'));
    await silence.verify();
    expect(await states(gw)).toEqual({ A: 'free', B: 'free', C: 'free' });
  });

  it('refuses with TARGET_BUSY when the target is paired; neither member of the pair hears of it', async () => {
    await start();
    await pairRaw(b, c, 'C');
    const silence = watchNothing([b, c]);
    expect(await emitWithAck(a, 'P2P_REGISTER', 'B')).toEqual(refusedWith('TARGET_BUSY'));
    await silence.verify();
    expect(await states(gw)).toEqual({ A: 'free', B: 'paired', C: 'paired' });
  });

  it('refuses with TARGET_BUSY when the target is being asked already; the first request is untouched', async () => {
    await start();
    const { answer } = await askRaw(a, b, 'B');
    const silence = watchNothing([b], 'P2P_REGISTER');
    expect(await emitWithAck(c, 'P2P_REGISTER', 'B')).toEqual(refusedWith('TARGET_BUSY'));
    await silence.verify();
    expect(await emitWithAck(b, 'P2P_REGISTER_SUCCESS', 'A')).toEqual([true]);
    expect(await answer).toEqual([true]);
  });

  it('refuses with SOURCE_BUSY when the source is paired', async () => {
    await start();
    await pairRaw(a, b, 'B');
    const silence = watchNothing([c], 'P2P_REGISTER');
    expect(await emitWithAck(a, 'P2P_REGISTER', 'C')).toEqual(refusedWith('SOURCE_BUSY'));
    await silence.verify();
    expect(await gw.service.peerOf('A')).toBe('B');
  });

  it('refuses with SOURCE_BUSY when the source is asking already', async () => {
    await start();
    const { answer } = await askRaw(a, b, 'B');
    const silence = watchNothing([c], 'P2P_REGISTER');
    expect(await emitWithAck(a, 'P2P_REGISTER', 'C')).toEqual(refusedWith('SOURCE_BUSY'));
    await silence.verify();
    expect(await states(gw)).toEqual({ A: 'asking', B: 'asked', C: 'free' });
    b.emit('P2P_REGISTER_SUCCESS', 'A');
    expect(await answer).toEqual([true]);
  });

  it('refuses with PAIR_TIMEOUT when the target never answers; the target gets P2P_DISCONNECT(source, PAIR_TIMEOUT)', async () => {
    await start();
    const { answer } = await askRaw(a, b, 'B');
    const withdrawn = waitFor(b, 'P2P_DISCONNECT');
    expect(await answer).toEqual(refusedWith('PAIR_TIMEOUT'));
    expect(await withdrawn).toEqual(['A', 'PAIR_TIMEOUT']);
    expect(await states(gw)).toEqual({ A: 'free', B: 'free', C: 'free' });
    // Both are free: the same two pair now, and the late answer to the expired request changes nothing.
    await pairRaw(a, b, 'B');
    await expectHealthyPair(a, b, 'B');
  });

  describe('answers with no request to answer: NO_PENDING_REQUEST', () => {
    it('when nothing was asked (ack and P2P_ERROR variants)', async () => {
      await start();
      expect(await emitWithAck(b, 'P2P_REGISTER_SUCCESS', 'A')).toEqual([
        false,
        { code: 'NO_PENDING_REQUEST', message: expect.any(String), event: 'P2P_REGISTER_SUCCESS' },
      ]);
      expect(await emitWithAck(b, 'P2P_REGISTER_FAILED')).toEqual([
        false,
        { code: 'NO_PENDING_REQUEST', message: expect.any(String), event: 'P2P_REGISTER_FAILED' },
      ]);
      const error = nextP2pError(b);
      b.emit('P2P_REGISTER_SUCCESS');
      expect(await error).toMatchObject({ code: 'NO_PENDING_REQUEST', event: 'P2P_REGISTER_SUCCESS' });
      expect(await states(gw)).toEqual({ A: 'free', B: 'free', C: 'free' });
    });

    it('when the answer names another source; the real request stays open', async () => {
      await start();
      const { answer } = await askRaw(a, b, 'B');
      expect(await emitWithAck(b, 'P2P_REGISTER_SUCCESS', 'C')).toEqual([
        false,
        { code: 'NO_PENDING_REQUEST', message: expect.any(String), event: 'P2P_REGISTER_SUCCESS' },
      ]);
      expect(await states(gw)).toEqual({ A: 'asking', B: 'asked', C: 'free' });
      expect(await emitWithAck(b, 'P2P_REGISTER_SUCCESS', 'A')).toEqual([true]);
      expect(await answer).toEqual([true]);
    });

    it('when the source itself tries to answer its own request', async () => {
      await start();
      const { answer } = await askRaw(a, b, 'B');
      expect((await emitWithAck(a, 'P2P_REGISTER_SUCCESS', 'B'))[1]).toMatchObject({ code: 'NO_PENDING_REQUEST' });
      expect(await states(gw)).toEqual({ A: 'asking', B: 'asked', C: 'free' });
      b.emit('P2P_REGISTER_FAILED', 'A');
      expect(await answer).toEqual(refusedWith('PAIR_REFUSED'));
    });

    it('when the answer comes after the request timed out; nobody ends up paired', async () => {
      await start();
      const { answer } = await askRaw(a, b, 'B');
      expect(await answer).toEqual(refusedWith('PAIR_TIMEOUT'));
      expect((await emitWithAck(b, 'P2P_REGISTER_SUCCESS', 'A'))[1]).toMatchObject({ code: 'NO_PENDING_REQUEST' });
      expect(await states(gw)).toEqual({ A: 'free', B: 'free', C: 'free' });
      expect(await gw.service.listPairings()).toEqual([]);
    });
  });

  describe('through P2pClient', () => {
    it('pair() resolves for a consenting target and both clients know their peer', async () => {
      gw = await startGateway({ pairTimeoutMs: PAIR_TIMEOUT_MS });
      const target = await connectClient(gw, 'B');
      const source = await connectClient(gw, 'A');
      const paired = waitFor(target, 'paired');
      await source.pair('B');
      expect(await paired).toEqual(['A']);
      expect([source.state, source.peerId, target.state, target.peerId]).toEqual(['paired', 'B', 'paired', 'A']);
    });

    it('pair() rejects with a P2pError carrying the code (TARGET_OFFLINE, PAIR_REFUSED by the consent hook)', async () => {
      gw = await startGateway({ pairTimeoutMs: PAIR_TIMEOUT_MS });
      const target = await connectClient(gw, 'B', { consent: (sourceId) => sourceId !== 'A' });
      const source = await connectClient(gw, 'A');
      await expect(source.pair('nobody')).rejects.toMatchObject({ code: 'TARGET_OFFLINE' });
      const refusal = source.pair('B');
      await expect(refusal).rejects.toBeInstanceOf(P2pError);
      await expect(refusal).rejects.toMatchObject({ code: 'PAIR_REFUSED' });
      expect(source.state).toBe('idle');
      // The target learns its refusal took effect from its own ack, which may land just after the source's.
      await eventually(() => target.state === 'idle');
      expect(await states(gw)).toEqual({ A: 'free', B: 'free' });
    });

    it('a busy P2pClient target refuses a second source without asking its consent hook', async () => {
      gw = await startGateway({ pairTimeoutMs: PAIR_TIMEOUT_MS });
      const asked: string[] = [];
      const target = await connectClient(gw, 'B', { consent: (id) => (asked.push(id), true) });
      const first = await connectClient(gw, 'A');
      const second = await connectClient(gw, 'C');
      await first.pair('B');
      await expect(second.pair('B')).rejects.toMatchObject({ code: 'TARGET_BUSY' });
      expect(asked).toEqual(['A']);
      expect(target.peerId).toBe('A');
    });
  });
});
