import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { type GatewayHarness, connectClient, connected, rawSocket, startGateway, waitFor } from '../support/gateway-harness.js';

describe('PairingService: queries', () => {
  let gw: GatewayHarness;
  beforeEach(async () => {
    gw = await startGateway({ pairTimeoutMs: 5000 });
  });
  afterEach(() => gw.close());

  /** free: F; paired: A-B; a request open from S (asking) to T (asked, an original client that does not answer). */
  async function populate() {
    const f = await connectClient(gw, 'F');
    const b = await connectClient(gw, 'B');
    const a = await connectClient(gw, 'A');
    await a.pair('B');
    const t = await connected(rawSocket(gw, { clientId: 'T' }));
    const s = await connectClient(gw, 'S');
    const asked = waitFor(t, 'P2P_REGISTER');
    const pending = s.pair('T').catch(() => undefined);
    await asked;
    return { f, a, b, s, t, pending };
  }

  it('lists every client with its state and peer, and only the free ones with available', async () => {
    await populate();
    const all = await gw.service.listClients();
    expect(all.map(({ clientId, state, peerId }) => ({ clientId, state, peerId }))).toEqual([
      { clientId: 'F', state: 'free', peerId: undefined },
      { clientId: 'B', state: 'paired', peerId: 'A' },
      { clientId: 'A', state: 'paired', peerId: 'B' },
      { clientId: 'T', state: 'asked', peerId: undefined },
      { clientId: 'S', state: 'asking', peerId: undefined },
    ]);
    for (const info of all) expect(info.connectedAt).toBeInstanceOf(Date);
    expect((await gw.service.listClients({ available: true })).map((c) => c.clientId)).toEqual(['F']);
  });

  it('gets one client, its peer, the pairings and the counts', async () => {
    await populate();
    await expect(gw.service.getClient('A')).resolves.toEqual({
      clientId: 'A',
      peerId: 'B',
      state: 'paired',
      connectedAt: expect.any(Date),
      protocolVersion: 3, // P2pClient's
      transport: 'relay',
    });
    await expect(gw.service.getClient('T')).resolves.toMatchObject({ state: 'asked', protocolVersion: 1 });
    await expect(gw.service.getClient('nobody')).resolves.toBeUndefined();
    await expect(gw.service.peerOf('A')).resolves.toBe('B');
    await expect(gw.service.peerOf('B')).resolves.toBe('A');
    await expect(gw.service.peerOf('S')).resolves.toBeUndefined();
    await expect(gw.service.peerOf('nobody')).resolves.toBeUndefined();
    const pairings = await gw.service.listPairings();
    expect(pairings).toHaveLength(1);
    expect([...pairings[0]!.clientIds].sort()).toEqual(['A', 'B']);
    expect(pairings[0]!.since).toBeInstanceOf(Date);
    expect(pairings[0]!.transport).toBe('relay');
    await expect(gw.service.counts()).resolves.toEqual({ clients: 5, pairings: 1, pendingRequests: 1 });
  });
});
