import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { P2pModule } from '../../packages/server/src/index.js';
import { launchChromium, openControlCenter as openControlCenterPage } from '../support/chromium.js';
import { ADMIN_TOKEN, type HttpAppHarness, startHttpApp } from '../support/control-center-app.js';
import { waitFor } from '../support/gateway-harness.js';
import { connectRaw, eventually, pairRaw } from '../support/wire.js';

/** The clientIds `.` and `..` through the page: its buttons and its search reach them (no dot-collapsed URL). */
describe('control center page in Chromium: the clients `.` and `..`', () => {
  let browser: Browser;
  let app: HttpAppHarness;
  let context: BrowserContext;
  const errors: string[] = [];

  beforeAll(async () => {
    browser = await launchChromium();
  }, 60_000);
  afterAll(() => browser?.close());
  beforeEach(async () => {
    errors.length = 0;
    app = await startHttpApp([P2pModule.forRoot({ controlCenter: { token: ADMIN_TOKEN } })]);
    context = await browser.newContext({ viewport: { width: 1200, height: 720 } });
    context.setDefaultTimeout(8_000);
  });
  afterEach(async () => {
    await context.close();
    await app.close();
  });

  const openControlCenter = () => openControlCenterPage(context, app.url, errors);

  /** The row whose first cell is exactly `clientId`. */
  const rowOf = (page: Page, table: 'clients' | 'pairings', clientId: string) =>
    page.locator(`#${table} tr`).filter({ has: page.locator('td:first-child code').getByText(clientId, { exact: true }) });

  it('unpairs and disconnects them with its buttons, and finds `..` by its search', async () => {
    const dot = await connectRaw(app, '.');
    const dotDot = await connectRaw(app, '..');
    await pairRaw(dot, dotDot, '..');
    const admin = await openControlCenter();
    await rowOf(admin, 'clients', '.').filter({ hasText: 'paired' }).waitFor();
    await rowOf(admin, 'clients', '..').filter({ hasText: 'paired' }).waitFor();

    await admin.getByLabel('find a clientId').fill('..');
    // The list shows both rows until the search's answer replaces them: count first, then look at the one left.
    await eventually(async () => (await admin.locator('#clients tr').count()) === 1);
    await rowOf(admin, 'clients', '..').filter({ hasText: 'paired' }).waitFor();
    expect(await admin.locator('#error').isHidden()).toBe(true);
    await admin.getByLabel('find a clientId').fill('');

    const told = waitFor(dot, 'P2P_DISCONNECT');
    await rowOf(admin, 'clients', '.').getByRole('button', { name: 'Unpair .', exact: true }).click();
    expect(await told).toEqual(['..', 'SERVER_UNPAIRED']);
    await rowOf(admin, 'clients', '.').filter({ hasText: 'free' }).waitFor();

    const gone = waitFor(dotDot, 'disconnect');
    await rowOf(admin, 'clients', '..').getByRole('button', { name: 'Disconnect ..', exact: true }).click();
    await gone;
    await rowOf(admin, 'clients', '..').waitFor({ state: 'detached' });
    await admin.getByLabel('find a clientId').fill('..');
    await admin.locator('#page-info').filter({ hasText: '.. is not connected' }).waitFor();
    expect(await admin.locator('#error').isHidden()).toBe(true);
    expect(errors.filter((error) => !/404/.test(error))).toEqual([]);
  }, 60_000);
});
