import { afterEach, describe, expect, it } from '@jest/globals';
import type { Socket } from 'socket.io-client';
import { PairingEngine } from '../../packages/server/src/pairing/pairing.engine.js';
import { type GatewayHarness, startGateway, waitFor } from '../support/gateway-harness.js';
import { askRaw, connectRaw, emitWithAck, pairRaw } from '../support/wire.js';

const PAIR_TIMEOUT_MS = 400;

/**
 * Open pairing requests share one expiry timer (they all get the same timeout, so they expire in the order they were
 * opened): a request answered at once costs no timer, none is left armed once nothing is open, and every request left
 * unanswered still times out.
 */
describe('pairing: the open requests share one expiry timer', () => {
  let gw: GatewayHarness;
  afterEach(() => gw.close());

  const held = () => gw.app.get(PairingEngine).heldCounts();

  async function connect(...ids: string[]): Promise<Socket[]> {
    return Promise.all(ids.map((id) => connectRaw(gw, id)));
  }

  it('leaves no timer armed after requests answered at once, or after an unpair', async () => {
    gw = await startGateway({ pairTimeoutMs: 10_000 });
    const [a, b, c, d] = await connect('A', 'B', 'C', 'D');
    await Promise.all([pairRaw(a!, b!, 'B'), pairRaw(c!, d!, 'D')]);
    expect(held()).toEqual({ openRequests: 0, graceTimers: 0, expiryTimers: 0 });
    expect(await emitWithAck(a!, 'P2P_UNREGISTER')).toEqual([true]);
    await pairRaw(a!, b!, 'B');
    expect(held()).toEqual({ openRequests: 0, graceTimers: 0, expiryTimers: 0 });
  });

  it('arms one timer for several open requests, and none once the last is answered', async () => {
    gw = await startGateway({ pairTimeoutMs: 10_000 });
    const [a, b, c, d, e, f] = await connect('A', 'B', 'C', 'D', 'E', 'F');
    const asks = [await askRaw(a!, b!, 'B'), await askRaw(c!, d!, 'D'), await askRaw(e!, f!, 'F')];
    expect(held()).toEqual({ openRequests: 3, graceTimers: 0, expiryTimers: 1 });
    // Answered in another order than they were opened: the first one answered is not the oldest.
    expect(await emitWithAck(d!, 'P2P_REGISTER_SUCCESS', 'C')).toEqual([true]);
    expect(await emitWithAck(b!, 'P2P_REGISTER_FAILED', 'A')).toEqual([true]);
    expect(held()).toEqual({ openRequests: 1, graceTimers: 0, expiryTimers: 1 });
    expect(await emitWithAck(f!, 'P2P_REGISTER_SUCCESS', 'E')).toEqual([true]);
    expect(held()).toEqual({ openRequests: 0, graceTimers: 0, expiryTimers: 0 });
    const answers = await Promise.all(asks.map((ask) => ask.answer));
    expect(answers.map((answer) => answer[0])).toEqual([false, true, true]);
    expect(answers[0]![1]).toMatchObject({ code: 'PAIR_REFUSED' });
  });

  it('times out every request left unanswered, opened at different times, then disarms', async () => {
    gw = await startGateway({ pairTimeoutMs: PAIR_TIMEOUT_MS });
    const [a, b, c, d, e, f] = await connect('A', 'B', 'C', 'D', 'E', 'F');
    const first = await askRaw(a!, b!, 'B');
    // The second is opened while the first is open (its deadline later than the one the timer was armed for).
    const second = await askRaw(c!, d!, 'D');
    // One answered meanwhile: it must not disturb the expiry of the others.
    const third = await askRaw(e!, f!, 'F');
    expect(await emitWithAck(f!, 'P2P_REGISTER_SUCCESS', 'E')).toEqual([true]);
    const withdrawn = [waitFor(b!, 'P2P_DISCONNECT'), waitFor(d!, 'P2P_DISCONNECT')];
    for (const { answer } of [first, second]) {
      expect(await answer).toEqual([false, { code: 'PAIR_TIMEOUT', message: expect.any(String), event: 'P2P_REGISTER' }]);
    }
    expect(await Promise.all(withdrawn)).toEqual([
      ['A', 'PAIR_TIMEOUT'],
      ['C', 'PAIR_TIMEOUT'],
    ]);
    expect(await third.answer).toEqual([true]);
    expect(held()).toEqual({ openRequests: 0, graceTimers: 0, expiryTimers: 0 });
    // Free again: the same clients pair now.
    await pairRaw(a!, b!, 'B');
  });
});
