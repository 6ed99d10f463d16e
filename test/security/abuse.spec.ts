import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { type GatewayHarness, startGateway, waitFor } from '../support/gateway-harness.js';
import { freezeLimitsClock } from '../support/limits-clock.js';
import { connectRawV2, emitWithAck, eventually, expectHealthyPair, pairRaw, states } from '../support/wire.js';
import { collect, relay, wireError } from './security-support.js';

describe('security: repeated limit violations', () => {
  let gw: GatewayHarness;
  // The limits' clock moves only when a test says so: what is refused depends on the tokens spent, not on speed.
  let clock: ReturnType<typeof freezeLimitsClock>;
  beforeEach(() => {
    clock = freezeLimitsClock();
  });
  afterEach(async () => {
    clock.restore();
    await gw.close();
  });

  async function paired(limits: Parameters<typeof startGateway>[0]) {
    gw = await startGateway(limits);
    const b = await connectRawV2(gw, 'B');
    const a = await connectRawV2(gw, 'A');
    await pairRaw(a, b, 'B');
    return { a, b };
  }

  it('keeps a connection and its pairing while violations stay within disconnectAfterViolations', async () => {
    const { a, b } = await paired({ limits: { relayMessages: { perSecond: 4, burst: 1 }, disconnectAfterViolations: 3 } });
    const answers = await Promise.all([1, 2, 3, 4].map((n) => relay(a, 'chat', [n])));
    expect(answers).toEqual([null, wireError('RATE_LIMITED'), wireError('RATE_LIMITED'), wireError('RATE_LIMITED')]);
    // A token back for the health check's relay; the round trips through it come after the refusals were handled, so
    // a close they wrongly caused would show.
    clock.advance(1000);
    await expectHealthyPair(a, b, 'B');
    expect(a.connected).toBe(true);
  });

  it('disconnects a connection past disconnectAfterViolations; its peer gets P2P_DISCONNECT(id, DISCONNECTED)', async () => {
    const { a, b } = await paired({ limits: { relayMessages: { perSecond: 1, burst: 1 }, disconnectAfterViolations: 3 } });
    const peerTold = waitFor(b, 'P2P_DISCONNECT');
    const dropped = waitFor(a, 'disconnect');
    const answers = await Promise.all([1, 2, 3, 4, 5].map((n) => relay(a, 'chat', [n])));
    expect(answers[0]).toBeNull();
    // Every refusal is answered, the one that crossed the line included, before the connection closes.
    expect(answers.slice(1)).toEqual(Array(4).fill(wireError('RATE_LIMITED', 'P2P_EMIT')));
    expect(await peerTold).toEqual(['A', 'DISCONNECTED']);
    expect((await dropped)[0]).toBe('io server disconnect');
    await eventually(async () => JSON.stringify(await states(gw)) === JSON.stringify({ B: 'free' }));
  });

  it('counts oversized messages and pairing-request floods as violations too', async () => {
    gw = await startGateway({
      limits: { maxMessageBytes: 1000, pairRequests: { perSecond: 0.1, burst: 1 }, disconnectAfterViolations: 2 },
    });
    const b = await connectRawV2(gw, 'B');
    const a = await connectRawV2(gw, 'A');
    await pairRaw(a, b, 'B');
    const dropped = waitFor(a, 'disconnect');
    const atB = collect(b, 'P2P_DISCONNECT');
    expect(await relay(a, 'big', ['x'.repeat(2000)])).toEqual(wireError('PAYLOAD_TOO_LARGE'));
    expect(await emitWithAck(a, 'P2P_REGISTER', 'B')).toEqual([false, wireError('RATE_LIMITED', 'P2P_REGISTER')]);
    expect(a.connected).toBe(true);
    expect(await relay(a, 'big', ['x'.repeat(2000)])).toEqual(wireError('PAYLOAD_TOO_LARGE'));
    await dropped;
    await eventually(() => atB.length === 1);
    expect(atB).toEqual([['A', 'DISCONNECTED']]);
  });

  it('never disconnects with disconnectAfterViolations: false', async () => {
    const { a, b } = await paired({ limits: { relayMessages: { perSecond: 2, burst: 1 }, disconnectAfterViolations: false } });
    const answers = await Promise.all(Array.from({ length: 60 }, (_, n) => relay(a, 'chat', [n])));
    expect(answers.filter((answer) => answer !== null)).toHaveLength(59);
    clock.advance(1000);
    await expectHealthyPair(a, b, 'B');
    expect(a.connected).toBe(true);
  });
});
