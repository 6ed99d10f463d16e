import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { P2pModule } from '../../packages/server/src/index.js';
import { ADMIN_TOKEN, type HttpAppHarness, startHttpApp } from '../support/control-center-app.js';
import { waitFor } from '../support/gateway-harness.js';
import { connectRaw, pairRaw } from '../support/wire.js';

/** `.` and `..` are valid clientIds, which a URL path segment cannot carry: the API takes every id in the query too. */
describe('control center: clientIds in the query string (`.` and `..` included)', () => {
  let app: HttpAppHarness;
  beforeEach(async () => {
    app = await startHttpApp([P2pModule.forRoot({ controlCenter: { token: ADMIN_TOKEN } })]);
  });
  afterEach(() => app.close());

  const request = (method: string, route: string, clientId?: string | string[], body?: unknown) => {
    const query =
      clientId === undefined
        ? ''
        : `?${[clientId]
            .flat()
            .map((id) => `clientId=${encodeURIComponent(id)}`)
            .join('&')}`;
    return app.request(`/p2p-admin/${route}${query}`, { method, token: ADMIN_TOKEN, body });
  };

  it('finds, unpairs and disconnects the clients `.` and `..`', async () => {
    const dot = await connectRaw(app, '.');
    const dotDot = await connectRaw(app, '..');
    await pairRaw(dot, dotDot, '..');

    const found = await request('GET', 'client', '..');
    expect(found.status).toBe(200);
    expect(await found.json()).toMatchObject({ clientId: '..', state: 'paired', peerId: '.' });
    expect(await (await request('GET', 'client', '.')).json()).toMatchObject({ clientId: '.', peerId: '..' });

    const toldDot = waitFor(dot, 'P2P_DISCONNECT');
    const toldDotDot = waitFor(dotDot, 'P2P_DISCONNECT');
    const unpaired = await request('POST', 'unpair', '.', { reason: 'MAINTENANCE' });
    expect([unpaired.status, await unpaired.json()]).toEqual([200, { unpaired: true }]);
    expect(await toldDot).toEqual(['..', 'MAINTENANCE']);
    expect(await toldDotDot).toEqual(['.', 'MAINTENANCE']);
    expect((await request('POST', 'unpair', '.')).status).toBe(404);

    const gone = waitFor(dotDot, 'disconnect');
    const disconnected = await request('POST', 'disconnect', '..');
    expect([disconnected.status, await disconnected.json()]).toEqual([200, { disconnected: true }]);
    await gone;
    expect((await request('GET', 'client', '..')).status).toBe(404);
    expect((await request('GET', 'client', '.')).status).toBe(200);
  });

  it('the path routes cannot carry them (the URL collapses the dot segment), so the query routes exist', async () => {
    await connectRaw(app, '..');
    // `clients/../disconnect` and even `clients/%2E%2E/disconnect` become `/p2p-admin/disconnect` before they are sent:
    // no clientId, refused, and `..` is untouched.
    const collapsed = await app.request('/p2p-admin/clients/%2E%2E/disconnect', { method: 'POST', token: ADMIN_TOKEN });
    expect(collapsed.status).toBe(400);
    expect((await request('GET', 'client', '..')).status).toBe(200);
  });

  it('refuses a missing, repeated or invalid clientId with 400, and an unknown one with 404', async () => {
    for (const route of ['client', 'unpair', 'disconnect']) {
      const method = route === 'client' ? 'GET' : 'POST';
      expect([route, (await request(method, route)).status]).toEqual([route, 400]);
      expect([route, (await request(method, route, ['a', 'b'])).status]).toEqual([route, 400]);
      for (const bad of ['', 'a b', 'x\ny', 'x'.repeat(129)]) {
        const response = await request(method, route, bad);
        expect([route, bad, response.status]).toEqual([route, bad, 400]);
        expect(await response.text()).not.toContain(bad || '\u0000');
      }
      expect([route, (await request(method, route, 'nobody')).status]).toEqual([route, 404]);
    }
    expect((await request('POST', 'unpair', 'nobody', { reason: '' })).status).toBe(400);
  });

  it('keeps the documented path routes for ordinary ids', async () => {
    const a = await connectRaw(app, 'a');
    const b = await connectRaw(app, 'b');
    await pairRaw(a, b, 'b');
    expect((await app.request('/p2p-admin/clients/a', { token: ADMIN_TOKEN })).status).toBe(200);
    expect((await app.request('/p2p-admin/pairings/a/unpair', { method: 'POST', token: ADMIN_TOKEN })).status).toBe(200);
    expect((await app.request('/p2p-admin/clients/b/disconnect', { method: 'POST', token: ADMIN_TOKEN })).status).toBe(200);
  });
});
