import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { P2pError } from '../../packages/protocol/src/index.js';
import { codeOf, eventually, outcomes } from '../support/eventually.js';
import { type GatewayHarness, connectClient, startGateway } from '../support/gateway-harness.js';

describe('races: two clients asking each other at once', () => {
  let gw: GatewayHarness;
  beforeEach(async () => {
    gw = await startGateway({ pairTimeoutMs: 3000 });
  });
  afterEach(() => gw.close());

  it('never deadlocks and ends with both sides agreeing with the store', async () => {
    for (let round = 0; round < 10; round++) {
      const a = await connectClient(gw, `a${round}`);
      const b = await connectClient(gw, `b${round}`);
      const { fulfilled, rejected } = await outcomes([a.pair(`b${round}`), b.pair(`a${round}`)]);
      for (const reason of rejected) expect(reason).toBeInstanceOf(P2pError);
      // Exactly one of the documented outcomes. The request the store takes second finds its source being asked
      // already (SOURCE_BUSY); the first request reaches a P2pClient that is itself asking, and a busy client refuses
      // without consulting (PAIR_REFUSED). Only if the second asker heard SOURCE_BUSY before the first request
      // reached it is it free again to consent: then one pair() succeeds.
      const codes = rejected.map(codeOf).sort();
      expect([
        { fulfilled: 0, codes: ['PAIR_REFUSED', 'SOURCE_BUSY'] },
        { fulfilled: 1, codes: ['SOURCE_BUSY'] },
      ]).toContainEqual({ fulfilled: fulfilled.length, codes });

      const serverPeerOfA = await eventually(async () => {
        const peerA = await gw.service.peerOf(`a${round}`);
        const peerB = await gw.service.peerOf(`b${round}`);
        expect(a.peerId).toBe(peerA);
        expect(b.peerId).toBe(peerB);
        expect(a.state).toBe(peerA ? 'paired' : 'idle');
        expect(b.state).toBe(peerB ? 'paired' : 'idle');
        return peerA;
      });
      expect([undefined, `b${round}`]).toContain(serverPeerOfA);
      const { pendingRequests, pairings } = await gw.service.counts();
      expect(pendingRequests).toBe(0);
      expect(pairings).toBe(round + (serverPeerOfA ? 1 : 0));

      // Whatever happened, the two can end up paired afterwards.
      if (!serverPeerOfA) await a.pair(`b${round}`);
      await expect(gw.service.peerOf(`b${round}`)).resolves.toBe(`a${round}`);
    }
    await expect(gw.service.listPairings()).resolves.toHaveLength(10);
  });
});
