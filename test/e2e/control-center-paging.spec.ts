import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser } from 'playwright-core';
import { InMemoryPairingStore, P2pModule } from '../../packages/server/src/index.js';
import { launchChromium, watchForErrors } from '../support/chromium.js';
import { ADMIN_TOKEN, type HttpAppHarness, startHttpApp } from '../support/control-center-app.js';
import { connectClient } from '../support/gateway-harness.js';
import { clientRecord, pairingRequest } from '../stores/pairing-store.fixtures.js';

const bulkId = (i: number) => `bulk-${String(i).padStart(4, '0')}`;

/**
 * Fills the gateway's own store directly (no sockets): the control center reads the store only, so this is what it
 * would list with that many clients connected. The first `pairs * 2` are paired two by two.
 */
async function fillStore(store: InMemoryPairingStore, count: number, pairs = 0): Promise<void> {
  for (let i = 0; i < count; i++) await store.registerClient(clientRecord(bulkId(i)), 'refuse');
  for (let i = 0; i < pairs; i++) {
    const request = pairingRequest(bulkId(2 * i), bulkId(2 * i + 1));
    await store.reservePairing(request);
    await store.confirmPairing(request);
  }
}

describe('control center: lists a page at a time', () => {
  let app: HttpAppHarness;
  afterEach(() => app.close());

  const get = async (path: string) => {
    const response = await app.request(`/p2p-admin/${path}`, { token: ADMIN_TOKEN });
    expect([path, response.status]).toEqual([path, 200]);
    return response.json() as Promise<any>;
  };
  const status = async (path: string) => (await app.request(`/p2p-admin/${path}`, { token: ADMIN_TOKEN })).status;

  it('pages GET /clients with cursor and limit, caps the plain answer at listPageSize, and finds a client by id', async () => {
    app = await startHttpApp([P2pModule.forRoot({ listPageSize: 5, controlCenter: { token: ADMIN_TOKEN } })]);
    const ids = ['cc-0', 'cc-1', 'cc-2', 'cc-3', 'cc-4', 'cc-5', 'cc-6'];
    const clients = [];
    for (const id of ids) clients.push(await connectClient(app, id));
    await clients[1]!.pair('cc-2');

    expect((await get('clients')).map((c: any) => c.clientId)).toEqual(ids.slice(0, 5));
    const first = await get('clients?limit=3');
    expect(first.clients.map((c: any) => c.clientId)).toEqual(ids.slice(0, 3));
    expect(first.clients[1]).toMatchObject({ clientId: 'cc-1', state: 'paired', peerId: 'cc-2' });
    const walked: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { clients: Array<{ clientId: string }>; next: string | null } = await get(
        `clients?limit=3${cursor ? `&cursor=${cursor}` : ''}`,
      );
      walked.push(...page.clients.map((c) => c.clientId));
      cursor = page.next;
    } while (cursor);
    expect(walked).toEqual(ids);
    expect((await get('clients?available=true&limit=100')).clients.map((c: any) => c.clientId)).toEqual(
      ids.filter((id) => id !== 'cc-1' && id !== 'cc-2'),
    );
    expect((await get('clients?cursor=')).clients).toHaveLength(5);

    await expect(get('clients/cc-6')).resolves.toMatchObject({ clientId: 'cc-6', state: 'free' });
    expect(await status('clients/nobody')).toBe(404);
    expect(await status(`clients/${encodeURIComponent('no spaces')}`)).toBe(400);
    for (const bad of ['cursor=abc', 'cursor=2.1', 'limit=0', 'limit=x', 'limit=-3'])
      expect([bad, await status(`clients?${bad}`)]).toEqual([bad, 400]);
  });

  describe('the page in Chromium', () => {
    let browser: Browser;
    beforeAll(async () => {
      browser = await launchChromium();
    }, 60_000);
    afterAll(() => browser?.close());

    it('shows 100 clients at a time with next and first page, finds one by id, and leaves out a long pairing list', async () => {
      const store = new InMemoryPairingStore();
      await fillStore(store, 1_300, 600);
      app = await startHttpApp([P2pModule.forRoot({ store, controlCenter: { token: ADMIN_TOKEN } })]);
      const context = await browser.newContext({ viewport: { width: 1200, height: 720 } });
      context.setDefaultTimeout(8_000);
      const errors: string[] = [];
      try {
        const page = watchForErrors(await context.newPage(), errors);
        await page.goto(`${app.url}/p2p-admin?token=${encodeURIComponent(ADMIN_TOKEN)}`);
        const firstCell = page.locator('#clients tr td:first-child code').first();
        await firstCell.filter({ hasText: bulkId(0) }).waitFor();
        expect(await page.locator('#clients tr').count()).toBe(100);
        await page
          .locator('#count-clients')
          .filter({ hasText: /^1300$/ })
          .waitFor();
        await page.locator('#many-pairings').waitFor();
        expect(await page.locator('#pairings tr').count()).toBe(0);
        // A paired client's row carries its peer and an Unpair button.
        const paired = page.locator('#clients tr').filter({ has: page.locator('td:first-child code', { hasText: bulkId(0) }) });
        await paired
          .filter({ hasText: bulkId(1) })
          .getByRole('button', { name: `Unpair ${bulkId(0)}` })
          .waitFor();

        await page.getByRole('button', { name: 'Next page' }).click();
        await firstCell.filter({ hasText: bulkId(100) }).waitFor();
        await page.locator('#page-info').filter({ hasText: 'page 2' }).waitFor();
        expect(await page.locator('#clients tr').count()).toBe(100);
        await page.getByRole('button', { name: 'First page' }).click();
        await firstCell.filter({ hasText: bulkId(0) }).waitFor();

        await page.getByLabel('find a clientId').fill(bulkId(1234));
        await firstCell.filter({ hasText: bulkId(1234) }).waitFor();
        await page.locator('#clients tr').nth(1).waitFor({ state: 'detached' });
        await page.getByLabel('find a clientId').fill('nobody');
        await page.locator('#page-info').filter({ hasText: 'nobody is not connected' }).waitFor();
        expect(await page.locator('#clients tr').count()).toBe(0);
        expect(errors.filter((error) => !/404/.test(error))).toEqual([]);
      } finally {
        await context.close();
      }
    }, 60_000);
  });
});
