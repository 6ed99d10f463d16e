import { afterEach, describe, expect, it } from '@jest/globals';
import type { Socket } from 'socket.io-client';
import { type GatewayHarness, rawSocket, startGateway, waitFor } from '../support/gateway-harness.js';
import { connectRaw, eventually, listClients, pairRaw, refusalOf, whenConnected } from '../support/wire.js';
import { authSocket } from './security-support.js';

describe('security: most connected clients', () => {
  let gw: GatewayHarness;
  afterEach(() => gw.close());

  it('refuses the connection past maxClients with CAPACITY, and admits again once a client left', async () => {
    gw = await startGateway({ limits: { maxClients: 2 } });
    const a = await connectRaw(gw, 'A');
    await connectRaw(gw, 'B');
    const refused = await refusalOf(rawSocket(gw, { clientId: 'C' }));
    expect(refused.data).toEqual({ code: 'CAPACITY', message: expect.any(String) });
    expect(await listClients(a)).toEqual(['A', 'B']);

    a.disconnect();
    await eventually(async () => (await gw.service.getClient('A')) === undefined);
    let c: Socket | undefined;
    await eventually(async () => {
      const socket = rawSocket(gw, { clientId: 'C' });
      try {
        c = await whenConnected(socket);
        return true;
      } catch {
        socket.close();
        return false;
      }
    });
    expect(await listClients(c!)).toEqual(['B', 'C']);
  });

  it('admits exactly maxClients of a burst of simultaneous connections', async () => {
    gw = await startGateway({ limits: { maxClients: 3 } });
    const attempts = Array.from({ length: 8 }, (_, i) => whenConnected(rawSocket(gw, { clientId: `c${i}` })));
    const settled = await Promise.allSettled(attempts);
    const admitted = settled.filter((s) => s.status === 'fulfilled');
    const codes = settled.flatMap((s) => (s.status === 'rejected' ? [(s.reason as { data?: { code?: string } }).data?.code] : []));
    expect(admitted).toHaveLength(3);
    expect(codes).toEqual(Array(5).fill('CAPACITY'));
    expect(await gw.service.listClients()).toHaveLength(3);
  });

  it('lets a client take its own id back at capacity (same session token); a stranger is still refused', async () => {
    gw = await startGateway({ limits: { maxClients: 2 } });
    const old = await whenConnected(authSocket(gw, { clientId: 'A', sessionToken: 'mine' }));
    const b = await connectRaw(gw, 'B');
    const oldDropped = waitFor(old, 'disconnect');
    const fresh = await whenConnected(authSocket(gw, { clientId: 'A', sessionToken: 'mine' }));
    await oldDropped;
    expect(await listClients(fresh)).toEqual(['A', 'B']);
    await pairRaw(fresh, b, 'B');

    expect((await refusalOf(authSocket(gw, { clientId: 'A', sessionToken: 'not-mine' }))).data?.code).toBe('CAPACITY');
    expect((await refusalOf(rawSocket(gw, { clientId: 'C' }))).data?.code).toBe('CAPACITY');
  });

  it('has no bound with maxClients: false', async () => {
    gw = await startGateway({ limits: { maxClients: false } });
    await Promise.all(Array.from({ length: 6 }, (_, i) => connectRaw(gw, `c${i}`)));
    expect(await gw.service.listClients()).toHaveLength(6);
  });
});
