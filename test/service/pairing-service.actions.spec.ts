import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { eventually } from '../support/eventually.js';
import { type GatewayHarness, connectClient, startGateway, waitFor } from '../support/gateway-harness.js';

describe('PairingService: actions', () => {
  let gw: GatewayHarness;
  beforeEach(async () => {
    gw = await startGateway({ pairTimeoutMs: 5000 });
  });
  afterEach(() => gw.close());

  it('unpair(clientId, reason) tells both sides, with the other id and the reason', async () => {
    const b = await connectClient(gw, 'B');
    const a = await connectClient(gw, 'A');
    const bPaired = waitFor(b, 'paired');
    await a.pair('B');
    await bPaired;
    const aTold = waitFor(a.socket, 'P2P_DISCONNECT');
    const bTold = waitFor(b.socket, 'P2P_DISCONNECT');
    const bUnpaired = waitFor(b, 'unpaired');
    await expect(gw.service.unpair('A', 'maintenance')).resolves.toBe(true);
    await expect(aTold).resolves.toEqual(['B', 'maintenance']);
    await expect(bTold).resolves.toEqual(['A', 'maintenance']);
    await expect(bUnpaired).resolves.toEqual(['A', 'maintenance']);
    expect(a.state).toBe('idle');
    await expect(gw.service.listPairings()).resolves.toEqual([]);
    await expect(gw.service.unpair('A', 'again')).resolves.toBe(false);
    await expect(gw.service.unpair('nobody')).resolves.toBe(false);
  });

  it('unpair without a reason sends SERVER_UNPAIRED', async () => {
    await connectClient(gw, 'B');
    const a = await connectClient(gw, 'A');
    await a.pair('B');
    const aTold = waitFor(a.socket, 'P2P_DISCONNECT');
    await gw.service.unpair('B');
    await expect(aTold).resolves.toEqual(['B', 'SERVER_UNPAIRED']);
  });

  it('disconnect(clientId, reason) tells the peer and closes the socket', async () => {
    const b = await connectClient(gw, 'B');
    const a = await connectClient(gw, 'A');
    await a.pair('B');
    const peerTold = waitFor(a.socket, 'P2P_DISCONNECT');
    const closed = waitFor(b.socket, 'disconnect');
    await expect(gw.service.disconnect('B', 'banned')).resolves.toBe(true);
    await expect(peerTold).resolves.toEqual(['B', 'banned']);
    await expect(closed).resolves.toEqual(['io server disconnect', undefined]);
    await expect(gw.service.getClient('B')).resolves.toBeUndefined();
    await expect(gw.service.getClient('A')).resolves.toMatchObject({ state: 'free' });
    await eventually(() => expect(a.state).toBe('idle'));
    await expect(gw.service.disconnect('B')).resolves.toBe(false);
  });

  it('disconnect of a client being asked refuses the source with PEER_DISCONNECTED', async () => {
    const never = new Promise<boolean>(() => undefined);
    await connectClient(gw, 'T', { consent: () => never });
    const s = await connectClient(gw, 'S');
    const attempt = s.pair('T');
    await eventually(async () => expect((await gw.service.getClient('T'))?.state).toBe('asked'));
    await gw.service.disconnect('T', 'kicked');
    await expect(attempt).rejects.toMatchObject({ code: 'PEER_DISCONNECTED' });
    await expect(gw.service.counts()).resolves.toEqual({ clients: 1, pairings: 0, pendingRequests: 0 });
  });
});
