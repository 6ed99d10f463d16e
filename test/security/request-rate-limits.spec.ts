import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { type GatewayHarness, startGateway } from '../support/gateway-harness.js';
import { freezeLimitsClock } from '../support/limits-clock.js';
import { connectRaw, emitWithAck, expectHealthyPair, listClients, nextP2pError, pairRaw, watchNothing } from '../support/wire.js';
import { wireError } from './security-support.js';

describe('security: request rate limits', () => {
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

  it('refuses pairing requests past the burst with RATE_LIMITED, before the policy or the target is asked; pairs once refilled', async () => {
    let policyCalls = 0;
    gw = await startGateway({
      canPair: () => (policyCalls++, true),
      limits: { pairRequests: { perSecond: 2, burst: 2 }, disconnectAfterViolations: false },
    });
    const b = await connectRaw(gw, 'B');
    const a = await connectRaw(gw, 'A');
    expect(await emitWithAck(a, 'P2P_REGISTER', 'nobody-1')).toEqual([false, wireError('TARGET_OFFLINE')]);
    expect(await emitWithAck(a, 'P2P_REGISTER', 'nobody-2')).toEqual([false, wireError('TARGET_OFFLINE')]);
    const notAsked = watchNothing([b], 'P2P_REGISTER');
    expect(await emitWithAck(a, 'P2P_REGISTER', 'B')).toEqual([false, wireError('RATE_LIMITED', 'P2P_REGISTER')]);
    await notAsked.verify();
    expect(policyCalls).toBe(2);

    const bare = nextP2pError(a);
    a.emit('P2P_REGISTER', 'B');
    expect(await bare).toEqual(wireError('RATE_LIMITED', 'P2P_REGISTER'));

    clock.advance(1000); // a second: two tokens back
    await pairRaw(a, b, 'B');
    await expectHealthyPair(a, b, 'B');
  });

  it('refuses LIST_CLIENTS past the burst with a RATE_LIMITED P2P_ERROR; answers again once refilled', async () => {
    gw = await startGateway({ limits: { listRequests: { perSecond: 2, burst: 2 }, disconnectAfterViolations: false } });
    const a = await connectRaw(gw, 'A');
    expect(await listClients(a)).toEqual(['A']);
    expect(await listClients(a, { available: true })).toEqual(['A']);
    const refused = nextP2pError(a);
    let answered = false;
    a.emit('LIST_CLIENTS', () => (answered = true));
    expect(await refused).toEqual(wireError('RATE_LIMITED', 'LIST_CLIENTS'));
    expect(answered).toBe(false);

    clock.advance(1000); // a second: two tokens back
    expect(await listClients(a)).toEqual(['A']);
  });
});
