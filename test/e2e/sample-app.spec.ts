import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ADMIN_TOKEN } from '../support/control-center-app.js';
import { type RunningApp, startApp } from '../support/nest-app.js';

describe('sample app', () => {
  let app: RunningApp;
  const before = process.env.P2P_ADMIN_TOKEN;

  beforeAll(async () => {
    // AppModule reads the environment when it is first imported.
    process.env.P2P_ADMIN_TOKEN = ADMIN_TOKEN;
    const { AppModule } = await import('../../sample/app.module.js');
    app = await startApp([AppModule]);
  });
  afterAll(async () => {
    await app?.close();
    if (before === undefined) delete process.env.P2P_ADMIN_TOKEN;
    else process.env.P2P_ADMIN_TOKEN = before;
  });

  it('turns the control center on with P2P_ADMIN_TOKEN, behind that token', async () => {
    expect((await fetch(`${app.url}/p2p-admin/counts`)).status).toBe(401);
    const counts = await fetch(`${app.url}/p2p-admin/counts`, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(counts.status).toBe(200);
    expect(await counts.json()).toEqual({ clients: 0, pairings: 0, pendingRequests: 0 });
  });

  it('serves the Prometheus metrics behind the same token', async () => {
    expect((await fetch(`${app.url}/metrics`)).status).toBe(401);
    const metrics = await fetch(`${app.url}/metrics`, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('# TYPE p2p_relayed_messages_total counter');
  });

  it('answers the liveness and readiness probes', async () => {
    for (const path of ['/health', '/ready']) {
      const response = await fetch(`${app.url}${path}`);
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ status: 'ok', info: { p2p: { status: 'up', store: 'up', draining: false } } });
    }
  });

  it('serves the browser sample page and its script, and nothing else from that folder', async () => {
    const page = await fetch(`${app.url}/browser/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('P2P browser sample');
    const script = await fetch(`${app.url}/browser/app.js`);
    expect(script.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(await script.text()).toContain('new P2pClient(socket');
    expect((await fetch(`${app.url}/browser/index.html`)).status).toBe(404);
    expect((await fetch(`${app.url}/browser/..%2Fapp.module.ts`)).status).toBe(404);
  });
});
