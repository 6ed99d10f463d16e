import { afterEach, describe, expect, it } from '@jest/globals';
import type { Socket } from 'socket.io-client';
import { P2pError } from '../../packages/protocol/src/index.js';
import type { P2pCanPairHook, P2pLifecycleEvent, P2pPairParty } from '../../packages/server/src/index.js';
import { type GatewayHarness, connectClient, startGateway } from '../support/gateway-harness.js';
import { connectRaw, emitWithAck, expectHealthyPair, pairRaw, states, watchNothing } from '../support/wire.js';

describe('security: canPair', () => {
  let gw: GatewayHarness;
  let events: P2pLifecycleEvent[];
  afterEach(() => gw.close());

  async function start(canPair: P2pCanPairHook, canPairTimeoutMs?: number) {
    gw = await startGateway({ canPair, ...(canPairTimeoutMs ? { canPairTimeoutMs } : {}), pairTimeoutMs: 2000 });
    events = [];
    gw.service.events$.subscribe((event) => events.push(event));
  }

  /** Asks `targetId` from `source` and asserts the refusal is PAIR_FORBIDDEN and the target never heard of it. */
  async function expectForbidden(source: Socket, target: Socket, targetId: string) {
    const asked = watchNothing([target], 'P2P_REGISTER');
    const answer = await emitWithAck(source, 'P2P_REGISTER', targetId);
    expect(answer).toEqual([false, { code: 'PAIR_FORBIDDEN', message: expect.any(String), event: 'P2P_REGISTER' }]);
    await asked.verify();
    expect(Object.values(await states(gw)).every((state) => state === 'free')).toBe(true);
    expect(events.filter((e) => e.type === 'pair-requested')).toEqual([]);
    expect(events.filter((e) => e.type === 'pair-refused')).toEqual([
      expect.objectContaining({ type: 'pair-refused', targetId, code: 'PAIR_FORBIDDEN' }),
    ]);
  }

  it('asks the policy with both sides and pairs when it says true', async () => {
    const calls: Array<[P2pPairParty, P2pPairParty]> = [];
    await start((source, target) => (calls.push([source, target]), true));
    const b = await connectRaw(gw, 'B');
    const a = await connectRaw(gw, 'A');
    await pairRaw(a, b, 'B');
    expect(calls).toEqual([[{ clientId: 'A' }, { clientId: 'B' }]]);
    await expectHealthyPair(a, b, 'B');
  });

  it('refuses with PAIR_FORBIDDEN when it says false; the target is never asked; an allowed pair still works', async () => {
    await start(async (source, target) => !(source.clientId === 'A' && target.clientId === 'B'));
    const b = await connectRaw(gw, 'B');
    const c = await connectRaw(gw, 'C');
    const a = await connectRaw(gw, 'A');
    await expectForbidden(a, b, 'B');
    await pairRaw(a, c, 'C');
    await expectHealthyPair(a, c, 'C');
  });

  it.each([
    [
      'throws',
      () => {
        throw new Error('policy store down');
      },
    ],
    ['rejects', () => Promise.reject(new Error('policy store down'))],
    ['answers something other than true', () => 'yes' as unknown as boolean],
  ])('refuses with PAIR_FORBIDDEN when it %s', async (_name, canPair) => {
    await start(canPair);
    const b = await connectRaw(gw, 'B');
    const a = await connectRaw(gw, 'A');
    await expectForbidden(a, b, 'B');
  });

  it('refuses with PAIR_FORBIDDEN when it does not answer within canPairTimeoutMs', async () => {
    await start(() => new Promise<boolean>(() => undefined), 200);
    const b = await connectRaw(gw, 'B');
    const a = await connectRaw(gw, 'A');
    await expectForbidden(a, b, 'B');
  });

  it('answers PAIR_FORBIDDEN whether or not the target is online, so a policy also hides presence', async () => {
    await start((_source, target) => target.clientId !== 'secret');
    const a = await connectRaw(gw, 'A');
    expect(await emitWithAck(a, 'P2P_REGISTER', 'secret')).toEqual([false, expect.objectContaining({ code: 'PAIR_FORBIDDEN' })]);
    await connectRaw(gw, 'secret');
    expect(await emitWithAck(a, 'P2P_REGISTER', 'secret')).toEqual([false, expect.objectContaining({ code: 'PAIR_FORBIDDEN' })]);
  });

  it('rejects P2pClient.pair() with a P2pError PAIR_FORBIDDEN', async () => {
    await start(() => false);
    const b = await connectClient(gw, 'B');
    const requests: string[] = [];
    b.on('request', (sourceId) => requests.push(sourceId));
    const a = await connectClient(gw, 'A');
    const refusal = await a.pair('B').catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(P2pError);
    expect((refusal as P2pError).code).toBe('PAIR_FORBIDDEN');
    expect(a.state).toBe('idle');
    expect(requests).toEqual([]);
  });
});
