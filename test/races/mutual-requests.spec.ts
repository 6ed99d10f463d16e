import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { P2pError } from '../../lib/protocol/index.js';
import { eventually, outcomes } from '../support/eventually.js';
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
      expect(fulfilled.length).toBeLessThanOrEqual(1);
      for (const reason of rejected) expect(reason).toBeInstanceOf(P2pError);

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
