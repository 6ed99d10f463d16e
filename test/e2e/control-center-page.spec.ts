import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { P2pModule } from '../../packages/server/src/index.js';
import { BrowserPageModule } from '../../sample/browser-page.module.js';
import { buildBundlesForTest, launchChromium, openControlCenter as openControlCenterPage } from '../support/chromium.js';
import { ADMIN_TOKEN, type HttpAppHarness, startHttpApp } from '../support/control-center-app.js';
import { logShows, openSampleTab, pairThroughPage, sendThroughPage, statusIs } from '../support/sample-tab.js';

/**
 * docs/control-center.md shows this test's picture. A test run only takes it (and checks it is a PNG); `npm run
 * docs:screenshot` sets P2P_DOCS_SCREENSHOT to the file to write, so `npm test` leaves the tree as it found it.
 */
const SCREENSHOT_FILE = process.env.P2P_DOCS_SCREENSHOT;
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

describe('control center page in Chromium', () => {
  let browser: Browser;
  let bundleDir: string;
  let app: HttpAppHarness;
  let context: BrowserContext;
  const errors: string[] = [];

  beforeAll(async () => {
    [browser, bundleDir] = await Promise.all([launchChromium(), buildBundlesForTest()]);
  }, 60_000);
  afterAll(() => browser?.close());

  beforeEach(async () => {
    errors.length = 0;
    app = await startHttpApp([P2pModule.forRoot({ controlCenter: { token: ADMIN_TOKEN } }), BrowserPageModule.register({ bundleDir })]);
    context = await browser.newContext({ viewport: { width: 1200, height: 720 } });
    context.setDefaultTimeout(8_000); // fails with the locator's name, before Jest's timeout hides it
  });
  afterEach(async () => {
    await context.close();
    await app.close();
  });

  const openControlCenter = () => openControlCenterPage(context, app.url, errors);

  /** The row whose first cell names `clientId` (a pairing's row names both). */
  const rowOf = (page: Page, table: 'clients' | 'pairings', clientId: string) =>
    page.locator(`#${table} tr`).filter({ has: page.locator('td:first-child code', { hasText: new RegExp(`^${clientId}$`) }) });

  it('lists the clients and the pairing live, and its unpair and disconnect buttons work', async () => {
    const admin = await openControlCenter();
    await admin.locator('#no-clients').waitFor();

    const alice = await openSampleTab(context, app.url, 'alice', errors);
    const bob = await openSampleTab(context, app.url, 'bob', errors);
    const carol = await openSampleTab(context, app.url, 'carol', errors);
    await pairThroughPage(alice, 'bob');
    await sendThroughPage(alice, 'hello bob');
    await logShows(alice, 'read by bob');

    for (const id of ['alice', 'bob', 'carol']) await rowOf(admin, 'clients', id).waitFor();
    await rowOf(admin, 'clients', 'alice').filter({ hasText: 'paired' }).filter({ hasText: 'bob' }).waitFor();
    await rowOf(admin, 'clients', 'carol').filter({ hasText: 'free' }).waitFor();
    const pairing = rowOf(admin, 'pairings', 'alice').filter({ hasText: 'bob' });
    await pairing.waitFor();
    await admin.locator('#count-pairings').filter({ hasText: /^1$/ }).waitFor();
    expect(await admin.locator('#count-clients').textContent()).toBe('3');
    await admin.locator('#events li').filter({ hasText: 'alice \u2194 bob paired' }).waitFor();
    const screenshot = await admin.screenshot({ fullPage: true });
    expect(screenshot.subarray(0, 8)).toEqual(PNG_SIGNATURE);
    if (SCREENSHOT_FILE) await writeFile(resolve(SCREENSHOT_FILE), screenshot);

    await pairing.getByRole('button', { name: /^Unpair / }).click();
    await logShows(alice, 'unpaired from bob (SERVER_UNPAIRED)');
    await logShows(bob, 'unpaired from alice (SERVER_UNPAIRED)');
    await admin.locator('#no-pairings').waitFor();
    await admin.locator('#count-pairings').filter({ hasText: /^0$/ }).waitFor();
    await admin.locator('#events li').filter({ hasText: 'unpaired (SERVER_UNPAIRED)' }).waitFor();
    expect(await app.service.listPairings()).toEqual([]);

    await admin.getByRole('button', { name: 'Disconnect carol' }).click();
    await statusIs(carol, 'disconnected');
    await rowOf(admin, 'clients', 'carol').waitFor({ state: 'detached' });
    expect(await app.service.getClient('carol')).toBeUndefined();
    expect(await admin.locator('#clients tr').count()).toBe(2);
    expect(errors).toEqual([]);
  });

  it('filters the available clients', async () => {
    const admin = await openControlCenter();
    const alice = await openSampleTab(context, app.url, 'alice', errors);
    await openSampleTab(context, app.url, 'bob', errors);
    await openSampleTab(context, app.url, 'carol', errors);
    await pairThroughPage(alice, 'bob');
    await admin.getByLabel('available only').check();
    await rowOf(admin, 'clients', 'alice').waitFor({ state: 'detached' });
    expect(await admin.locator('#clients tr code').first().textContent()).toBe('carol');
    expect(await admin.locator('#clients tr').count()).toBe(1);
  });

  it('is refused to a browser without the token', async () => {
    const page = await context.newPage();
    expect((await page.goto(`${app.url}/p2p-admin`))?.status()).toBe(401);
    expect((await page.goto(`${app.url}/p2p-admin?token=not-the-token-at-all`))?.status()).toBe(401);
    expect((await page.goto(`${app.url}/p2p-admin/events`))?.status()).toBe(401);
    expect(await page.content()).not.toContain('P2P control center');
  });
});
