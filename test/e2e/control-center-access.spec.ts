import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { type CanActivate, type ExecutionContext, Inject, Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { P2pModule, type P2pModuleOptions } from '../../packages/server/src/index.js';
import { ADMIN_TOKEN, type HttpAppHarness, openEventStream, startHttpApp } from '../support/control-center-app.js';
import { connectClient } from '../support/gateway-harness.js';

const READ_ROUTES = ['/p2p-admin', '/p2p-admin/clients', '/p2p-admin/pairings', '/p2p-admin/counts', '/p2p-admin/events'];

/** The host app's own guard: lets in requests with `x-admin: <secret>`, the secret coming from its injector. */
const ADMIN_SECRET = Symbol('ADMIN_SECRET');

@Module({ providers: [{ provide: ADMIN_SECRET, useValue: 'open-sesame' }], exports: [ADMIN_SECRET] })
class SecretModule {}

@Injectable()
class HeaderGuard implements CanActivate {
  constructor(@Inject(ADMIN_SECRET) private readonly secret: string) {}
  canActivate(context: ExecutionContext): boolean {
    return context.switchToHttp().getRequest<{ headers: Record<string, string> }>().headers['x-admin'] === this.secret;
  }
}

describe('control center: credentials', () => {
  describe('with a token', () => {
    let app: HttpAppHarness;
    beforeAll(async () => {
      app = await startHttpApp([P2pModule.forRoot({ controlCenter: { token: ADMIN_TOKEN } })]);
    });
    afterAll(() => app.close());

    it.each(READ_ROUTES)('refuses GET %s without credentials (401)', async (path) => {
      const response = await app.request(path);
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(response.headers.get('content-type')).not.toMatch(/text\/(html|event-stream)/);
    });

    it.each(READ_ROUTES)('refuses GET %s with a wrong token, as a header or in the query', async (path) => {
      expect((await app.request(path, { token: `${ADMIN_TOKEN}x` })).status).toBe(401);
      expect((await app.request(`${path}?token=${ADMIN_TOKEN.slice(0, -1)}`)).status).toBe(401);
    });

    it('serves the JSON API to the Bearer token, and not to ?token=', async () => {
      const counts = await app.request('/p2p-admin/counts', { token: ADMIN_TOKEN });
      expect(counts.status).toBe(200);
      expect(await counts.json()).toEqual({ clients: 0, pairings: 0, pendingRequests: 0 });
      for (const path of ['/p2p-admin/clients', '/p2p-admin/pairings', '/p2p-admin/counts']) {
        expect((await app.request(`${path}?token=${ADMIN_TOKEN}`)).status).toBe(401);
      }
    });

    it('serves the page to ?token= (what a browser opens), with a strict content policy', async () => {
      const page = await app.request(`/p2p-admin?token=${encodeURIComponent(ADMIN_TOKEN)}`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      expect(page.headers.get('content-security-policy')).toMatch(/default-src 'none'.*script-src 'sha256-/);
      expect(page.headers.get('referrer-policy')).toBe('no-referrer');
      const html = await page.text();
      expect(html).toContain('P2P control center');
      expect(html).not.toContain(ADMIN_TOKEN);
      expect(html).not.toMatch(/<(script|link)[^>]+(src|href)="(https?:)?\/\//);
    });

    it('streams events to ?token=', async () => {
      const stream = await openEventStream(`${app.url}/p2p-admin/events?token=${ADMIN_TOKEN}`);
      try {
        expect(stream.response.status).toBe(200);
        expect(stream.response.headers.get('content-type')).toMatch(/^text\/event-stream/);
        await stream.next((e) => e.event === 'ready');
      } finally {
        stream.close();
      }
    });

    it('refuses actions without credentials and leaves the clients alone', async () => {
      const a = await connectClient(app, 'acc-a');
      await connectClient(app, 'acc-b');
      await a.pair('acc-b');
      expect((await app.request('/p2p-admin/pairings/acc-a/unpair', { method: 'POST' })).status).toBe(401);
      expect((await app.request(`/p2p-admin/clients/acc-a/disconnect?token=${ADMIN_TOKEN}`, { method: 'POST' })).status).toBe(401);
      expect(await app.service.peerOf('acc-a')).toBe('acc-b');
      expect((await app.service.getClient('acc-a'))?.state).toBe('paired');
    });

    it('refuses an action a browser was made to send from another site, even with the token', async () => {
      const a = await connectClient(app, 'csrf-a');
      const fromElsewhere: Array<Record<string, string>> = [{ origin: 'http://elsewhere.example' }, { 'sec-fetch-site': 'cross-site' }];
      for (const headers of fromElsewhere) {
        const response = await app.request('/p2p-admin/clients/csrf-a/disconnect', { method: 'POST', token: ADMIN_TOKEN, headers });
        expect(response.status).toBe(403);
      }
      expect(a.socket.connected).toBe(true);
      const behindProxy = { origin: 'https://p2p.example.com', 'x-forwarded-host': 'p2p.example.com' };
      expect(
        (await app.request('/p2p-admin/clients/nobody/disconnect', { method: 'POST', token: ADMIN_TOKEN, headers: behindProxy })).status,
      ).toBe(404);
      const sameOrigin = { origin: app.url, 'sec-fetch-site': 'same-origin' };
      const response = await app.request('/p2p-admin/clients/csrf-a/disconnect', {
        method: 'POST',
        token: ADMIN_TOKEN,
        headers: sameOrigin,
      });
      expect(response.status).toBe(200);
    });
  });

  describe('with a guard of the host app', () => {
    let app: HttpAppHarness | undefined;
    afterEach(() => app?.close());

    it('asks a guard instance: refused is 403, let in is served', async () => {
      const guard: CanActivate = {
        canActivate: (context) => context.switchToHttp().getRequest<{ headers: Record<string, string> }>().headers['x-admin'] === 'yes',
      };
      app = await startHttpApp([P2pModule.forRoot({ controlCenter: { guard } })]);
      for (const path of READ_ROUTES) expect((await app.request(path)).status).toBe(403);
      expect((await app.request('/p2p-admin/counts', { token: ADMIN_TOKEN })).status).toBe(403);
      expect((await app.request('/p2p-admin/counts', { headers: { 'x-admin': 'yes' } })).status).toBe(200);
    });

    it('builds a guard class with the injector (forRootAsync), beside a token that skips it', async () => {
      app = await startHttpApp([
        P2pModule.forRootAsync({
          controlCenter: true,
          imports: [SecretModule],
          useFactory: (): P2pModuleOptions => ({ controlCenter: { guard: HeaderGuard, token: ADMIN_TOKEN, path: '/ops/p2p' } }),
        }),
      ]);
      expect((await app.request('/ops/p2p/counts', { headers: { 'x-admin': 'wrong' } })).status).toBe(403);
      expect((await app.request('/ops/p2p/counts', { headers: { 'x-admin': 'open-sesame' } })).status).toBe(200);
      expect((await app.request('/ops/p2p/counts', { token: ADMIN_TOKEN })).status).toBe(200);
      expect((await app.request('/p2p-admin/counts', { token: ADMIN_TOKEN })).status).toBe(404);
    });
  });

  describe('off (the default)', () => {
    let app: HttpAppHarness;
    beforeAll(async () => {
      app = await startHttpApp([P2pModule.forRoot({})]);
    });
    afterAll(() => app.close());

    it.each(READ_ROUTES)('answers 404 at %s, whatever the credentials', async (path) => {
      expect((await app.request(path)).status).toBe(404);
      expect((await app.request(`${path}?token=${ADMIN_TOKEN}`, { token: ADMIN_TOKEN })).status).toBe(404);
    });

    it('answers 404 to the actions and leaves the client connected', async () => {
      const a = await connectClient(app, 'off-a');
      expect((await app.request('/p2p-admin/clients/off-a/disconnect', { method: 'POST', token: ADMIN_TOKEN })).status).toBe(404);
      expect(a.socket.connected).toBe(true);
    });
  });

  describe('refuses to start', () => {
    const compile = (options: P2pModuleOptions) => Test.createTestingModule({ imports: [P2pModule.forRoot(options)] }).compile();

    it('when enabled with neither a token nor a guard', async () => {
      await expect(compile({ controlCenter: {} })).rejects.toThrow(/controlCenter needs a `token` or a `guard`/);
      await expect(compile({ controlCenter: { path: '/admin' } })).rejects.toThrow(/never served without credentials/);
    });

    it('with a short token, a bad path or a guard that is not one', async () => {
      await expect(compile({ controlCenter: { token: 'short' } })).rejects.toThrow(/at least 16 characters/);
      await expect(compile({ controlCenter: { token: ADMIN_TOKEN, path: '/a b' } })).rejects.toThrow(/path/);
      await expect(compile({ controlCenter: { token: ADMIN_TOKEN, path: '/' } })).rejects.toThrow(/path/);
      await expect(compile({ controlCenter: { guard: {} as CanActivate } })).rejects.toThrow(/guard/);
    });
  });
});
