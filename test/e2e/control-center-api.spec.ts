import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { P2pModule } from '../../packages/server/src/index.js';
import { ADMIN_TOKEN, type HttpAppHarness, openEventStream, startHttpApp } from '../support/control-center-app.js';
import { connectClient, waitFor } from '../support/gateway-harness.js';

describe('control center: JSON API and event stream', () => {
  let app: HttpAppHarness;
  beforeEach(async () => {
    app = await startHttpApp([P2pModule.forRoot({ pairTimeoutMs: 500, ackTimeoutMs: 500, controlCenter: { token: ADMIN_TOKEN } })]);
  });
  afterEach(() => app.close());

  const get = async (path: string) => {
    const response = await app.request(`/p2p-admin/${path}`, { token: ADMIN_TOKEN });
    expect(response.status).toBe(200);
    return response.json() as Promise<any>;
  };
  const post = (path: string, body?: unknown) => app.request(`/p2p-admin/${path}`, { method: 'POST', token: ADMIN_TOKEN, body });

  it('lists clients (all or available), pairings and counts', async () => {
    const a = await connectClient(app, 'api-a');
    await connectClient(app, 'api-b');
    await connectClient(app, 'api-c');
    await a.pair('api-b');

    const clients: any[] = await get('clients');
    expect(clients.map((c) => c.clientId).sort()).toEqual(['api-a', 'api-b', 'api-c']);
    expect(clients.find((c) => c.clientId === 'api-a')).toMatchObject({ state: 'paired', peerId: 'api-b', protocolVersion: 3 }); // P2pClient's;
    expect(Date.parse(clients[0].connectedAt)).not.toBeNaN();
    expect((await get('clients?available=true')).map((c: any) => c.clientId)).toEqual(['api-c']);
    expect((await get('clients?available=false')).length).toBe(3);

    const pairings: any[] = await get('pairings');
    expect(pairings).toHaveLength(1);
    expect([...pairings[0].clientIds].sort()).toEqual(['api-a', 'api-b']);
    expect(await get('counts')).toEqual({ clients: 3, pairings: 1, pendingRequests: 0 });
  });

  it('unpairs a pair: both sides are told, with the default reason or the one given', async () => {
    const a = await connectClient(app, 'un-a');
    const b = await connectClient(app, 'un-b');
    await a.pair('un-b');
    const toldA = waitFor(a.socket, 'P2P_DISCONNECT');
    const toldB = waitFor(b.socket, 'P2P_DISCONNECT');
    const response = await post('pairings/un-b/unpair');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ unpaired: true });
    expect(await toldA).toEqual(['un-b', 'SERVER_UNPAIRED']);
    expect(await toldB).toEqual(['un-a', 'SERVER_UNPAIRED']);
    expect(await get('pairings')).toEqual([]);

    await a.pair('un-b');
    const toldAgain = waitFor(b.socket, 'P2P_DISCONNECT');
    expect((await post('pairings/un-a/unpair', { reason: 'MAINTENANCE' })).status).toBe(200);
    expect(await toldAgain).toEqual(['un-a', 'MAINTENANCE']);
  });

  it('disconnects a client: its peer is told why and its socket closes', async () => {
    const a = await connectClient(app, 'dc-a');
    const b = await connectClient(app, 'dc-b');
    await a.pair('dc-b');
    const told = waitFor(b.socket, 'P2P_DISCONNECT');
    const closed = waitFor(a.socket, 'disconnect');
    const response = await post('clients/dc-a/disconnect', { reason: 'KICKED' });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ disconnected: true });
    expect(await told).toEqual(['dc-a', 'KICKED']);
    expect(await closed).toEqual(['io server disconnect']);
    expect((await get('clients')).map((c: any) => c.clientId)).toEqual(['dc-b']);
  });

  it('answers 404 for a client not paired or not connected, 400 for bad input', async () => {
    await connectClient(app, 'lonely');
    expect((await post('pairings/lonely/unpair')).status).toBe(404);
    expect((await post('pairings/nobody/unpair')).status).toBe(404);
    expect((await post('clients/nobody/disconnect')).status).toBe(404);
    expect((await post('clients/lonely/disconnect', { reason: 42 })).status).toBe(400);
    expect((await post('clients/lonely/disconnect', { reason: 'x'.repeat(201) })).status).toBe(400);
    expect((await post(`clients/${encodeURIComponent('no spaces')}/disconnect`)).status).toBe(400);
    expect((await app.request('/p2p-admin/clients?available=yes', { token: ADMIN_TOKEN })).status).toBe(400);
    expect((await get('clients')).map((c: any) => c.clientId)).toEqual(['lonely']);
  });

  it("streams this node's lifecycle events as JSON", async () => {
    const stream = await openEventStream(`${app.url}/p2p-admin/events`, { Authorization: `Bearer ${ADMIN_TOKEN}` });
    try {
      const ready = await stream.next((e) => e.event === 'ready');
      expect(JSON.parse(ready.data)).toEqual({ nodeId: expect.any(String) });
      const a = await connectClient(app, 'ev-a');
      await connectClient(app, 'ev-b');
      const connected = await stream.next((e) => e.data.includes('"connected"') && e.data.includes('ev-b'));
      expect(JSON.parse(connected.data)).toEqual({ type: 'connected', clientId: 'ev-b', at: expect.any(Number) });
      await a.pair('ev-b');
      const paired = await stream.next((e) => e.data.includes('"paired"'));
      expect(JSON.parse(paired.data)).toMatchObject({ type: 'paired', sourceId: 'ev-a', targetId: 'ev-b' });
      await post('pairings/ev-a/unpair');
      const unpaired = await stream.next((e) => e.data.includes('"unpaired"'));
      expect(JSON.parse(unpaired.data)).toMatchObject({ type: 'unpaired', reason: 'SERVER_UNPAIRED' });
    } finally {
      stream.close();
    }
  });
});
