import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { type Subscription, filter } from 'rxjs';
import { eventually } from '../support/eventually.js';
import { type GatewayHarness, connectClient, startGateway } from '../support/gateway-harness.js';

/**
 * The server ends a pairing in the same tick it is made, so P2P_DISCONNECT reaches both clients right behind the acks
 * that tell them they are paired (often in the same socket read). Their view must still end where the server's is.
 */
describe('P2pClient: a pairing that ends as it is made', () => {
  let gw: GatewayHarness;
  let subscription: Subscription;
  beforeEach(async () => {
    gw = await startGateway({ pairTimeoutMs: 3000 });
    subscription = gw.service.events$
      .pipe(filter((event) => event.type === 'paired'))
      .subscribe((event) => void gw.service.unpair(event.sourceId, 'instant'));
  });
  afterEach(async () => {
    subscription.unsubscribe();
    await gw.close();
  });

  it('leaves source and target idle, each having seen paired then unpaired', async () => {
    for (let round = 0; round < 5; round++) {
      const b = await connectClient(gw, `B${round}`);
      const a = await connectClient(gw, `A${round}`);
      const seenA: string[] = [];
      const seenB: string[] = [];
      a.on('paired', (peer) => seenA.push(`paired:${peer}`)).on('unpaired', (peer, why) => seenA.push(`unpaired:${peer}:${why}`));
      b.on('paired', (peer) => seenB.push(`paired:${peer}`)).on('unpaired', (peer, why) => seenB.push(`unpaired:${peer}:${why}`));
      await a.pair(`B${round}`);
      await eventually(async () => expect(await gw.service.peerOf(`A${round}`)).toBeUndefined());
      await eventually(() => {
        expect([a.state, a.peerId, b.state, b.peerId]).toEqual(['idle', undefined, 'idle', undefined]);
        expect(seenA).toEqual([`paired:B${round}`, `unpaired:B${round}:instant`]);
        expect(seenB).toEqual([`paired:A${round}`, `unpaired:A${round}:instant`]);
      });
    }
  });
});
