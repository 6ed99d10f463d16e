import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { type GatewayHarness, startGateway, waitFor } from '../support/gateway-harness.js';
import { freezeLimitsClock } from '../support/limits-clock.js';
import { connectRaw, connectRawV2, emitWithAck, expectHealthyPair, nextP2pError, pairRaw, roundTrip, spyAck } from '../support/wire.js';
import { collect, relay, wireError } from './security-support.js';

/** How long a bucket refilling at `perSecond` takes to hold `tokens` again. */
function refillTime(tokens: number, perSecond: number): number {
  return Math.ceil((tokens / perSecond) * 1000);
}

describe('security: relay rate limits', () => {
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

  describe('messages per second', () => {
    const perSecond = 2;
    const burst = 3;

    async function pairedOverLimit() {
      gw = await startGateway({ limits: { relayMessages: { perSecond, burst }, disconnectAfterViolations: false } });
      const b = await connectRawV2(gw, 'B');
      const a = await connectRawV2(gw, 'A');
      await pairRaw(a, b, 'B');
      return { a, b };
    }

    it('refuses the message past the burst with RATE_LIMITED; the pair relays again once the bucket refilled', async () => {
      const { a, b } = await pairedOverLimit();
      const atB = collect(b, 'chat');
      const answers = await Promise.all([1, 2, 3, 4].map((n) => relay(a, 'chat', [n])));
      expect(answers).toEqual([null, null, null, wireError('RATE_LIMITED', 'P2P_EMIT')]);
      await roundTrip(b);
      expect(atB).toEqual([[1], [2], [3]]);

      clock.advance(refillTime(2, perSecond));
      await expectHealthyPair(a, b, 'B');
      expect(await relay(a, 'chat', [5])).toBeNull();
      await roundTrip(b);
      expect(atB).toEqual([[1], [2], [3], [5]]);
    });

    it('limits each connection on its own: the peer of a limited sender relays freely', async () => {
      const { a, b } = await pairedOverLimit();
      for (let n = 0; n < burst; n++) await relay(a, 'chat', [n]);
      expect(await relay(a, 'chat', ['over'])).toEqual(wireError('RATE_LIMITED'));
      const atA = collect(a, 'reply');
      expect(await Promise.all([1, 2, 3].map((n) => relay(b, 'reply', [n])))).toEqual([null, null, null]);
      await roundTrip(a);
      expect(atA).toEqual([[1], [2], [3]]);
    });

    it('answers a limited P2P_EMIT without ack, and a protocol-1 P2P_EMIT_ACKNOWLEDGE, with P2P_ERROR', async () => {
      gw = await startGateway({ limits: { relayMessages: { perSecond, burst: 1 }, disconnectAfterViolations: false } });
      const b = await connectRaw(gw, 'B');
      const a = await connectRaw(gw, 'A');
      await pairRaw(a, b, 'B');
      b.on('ask', (reply: (value: string) => void) => reply('answer'));
      expect(await emitWithAck(a, 'P2P_EMIT_ACKNOWLEDGE', { event: 'ask', args: [] })).toEqual(['answer']);

      const bare = nextP2pError(a);
      a.emit('P2P_EMIT', { event: 'chat', args: ['bare'] });
      expect(await bare).toEqual(wireError('RATE_LIMITED', 'P2P_EMIT'));

      const withAck = nextP2pError(a);
      const { ack, calls } = spyAck();
      a.emit('P2P_EMIT_ACKNOWLEDGE', { event: 'ask', args: [] }, ack);
      expect(await withAck).toEqual(wireError('RATE_LIMITED', 'P2P_EMIT_ACKNOWLEDGE'));
      expect(calls).toEqual([]);
    });

    it('answers a limited protocol-2 P2P_EMIT_ACKNOWLEDGE with ack(error)', async () => {
      const { a, b } = await pairedOverLimit();
      b.on('ask', (n: number, reply: (value: number) => void) => reply(n * 10));
      const answers = await Promise.all([1, 2, 3, 4].map((n) => emitWithAck(a, 'P2P_EMIT_ACKNOWLEDGE', { event: 'ask', args: [n] })));
      expect(answers).toEqual([[null, 10], [null, 20], [null, 30], [wireError('RATE_LIMITED', 'P2P_EMIT_ACKNOWLEDGE')]]);
    });
  });

  describe('bytes per second', () => {
    it('refuses the message that would exceed the byte burst; relays again once refilled', async () => {
      const perSecond = 4000;
      gw = await startGateway({
        limits: { relayMessages: false, relayBytes: { perSecond, burst: 3000 }, maxMessageBytes: 2000, disconnectAfterViolations: false },
      });
      const b = await connectRawV2(gw, 'B');
      const a = await connectRawV2(gw, 'A');
      await pairRaw(a, b, 'B');
      const atB = collect(b, 'blob');
      const text = 'x'.repeat(1200); // about 1260 bytes with the packet around it: two fit in 3000, three do not
      const answers = await Promise.all([1, 2, 3].map((n) => relay(a, 'blob', [n, text])));
      expect(answers).toEqual([null, null, wireError('RATE_LIMITED', 'P2P_EMIT')]);
      await roundTrip(b);
      expect(atB.map(([n]) => n)).toEqual([1, 2]);

      clock.advance(refillTime(3000, perSecond));
      expect(await relay(a, 'blob', [4, text])).toBeNull();
      const delivered = waitFor(b, 'blob');
      expect(await relay(a, 'blob', [5, 'small'])).toBeNull();
      expect(await delivered).toEqual([5, 'small']);
    });
  });
});
