import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { P2pModule } from '../../packages/server/src/index.js';
import { launchChromium, openControlCenter as openControlCenterPage } from '../support/chromium.js';
import { ADMIN_TOKEN, type HttpAppHarness, startHttpApp } from '../support/control-center-app.js';
import { connectClient } from '../support/gateway-harness.js';
import { eventually } from '../support/eventually.js';

describe('control center charts in Chromium', () => {
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
    app = await startHttpApp([P2pModule.forRoot({ controlCenter: { token: ADMIN_TOKEN }, metrics: { path: false } })]);
    context = await browser.newContext({ viewport: { width: 1200, height: 720 } });
    context.setDefaultTimeout(10_000);
  });
  afterEach(async () => {
    await context.close();
    await app.close();
  });

  const openControlCenter = () => openControlCenterPage(context, app.url, errors);

  /** Waits until the chart's attribute, a number, satisfies `test`. */
  const chartValue = (page: Page, selector: string, attribute: string, test: (value: number) => boolean) =>
    eventually(
      async () => {
        const value = Number(await page.locator(selector).getAttribute(attribute));
        if (!test(value)) throw new Error(`${selector} ${attribute}=${value}`);
        return value;
      },
      10_000,
      200,
    );

  it('draws relays per second, clients and pairings, requests and refusals by code, and traffic per pairing', async () => {
    const admin = await openControlCenter();
    // Plain relays, one message each (the reliable channel adds acknowledgement frames).
    const alice = await connectClient(app, 'alice', { reliable: false });
    const bob = await connectClient(app, 'bob', { reliable: false });
    await connectClient(app, 'carol');
    await expect(alice.pair('dave')).rejects.toMatchObject({ code: 'TARGET_OFFLINE' });
    await alice.pair('bob');
    let toBob = 0;
    let toAlice = 0;
    bob.socket.on('chat', () => toBob++);
    alice.socket.on('chat', () => toAlice++);
    for (let i = 0; i < 40; i++) alice.emit('chat', `hello bob ${i}`);
    for (let i = 0; i < 5; i++) bob.emit('chat', `hello alice ${i}`);
    await eventually(() => expect([toBob, toAlice]).toEqual([40, 5]));

    expect(await chartValue(admin, '#chart-relays', 'data-relays-max', (v) => v > 0)).toBeGreaterThan(0);
    await chartValue(admin, '#chart-population', 'data-clients', (v) => v === 3);
    await chartValue(admin, '#chart-population', 'data-pairings', (v) => v === 1);
    expect(await admin.locator('#chart-relays polyline[data-series="relays"]').count()).toBe(1);
    expect(await admin.locator('#chart-population polyline').count()).toBe(2);

    const bar = (label: string) => admin.locator(`#chart-refusals g[data-label="${label}"]`);
    await bar('paired').waitFor();
    expect(await bar('paired').getAttribute('data-value')).toBe('1');
    expect(await bar('request: TARGET_OFFLINE').getAttribute('data-value')).toBe('1');
    expect(await bar('request: TARGET_OFFLINE').locator('rect').count()).toBe(1);

    const pairing = admin.locator('#pairings tr').filter({ hasText: 'alice' });
    await pairing.filter({ hasText: /^.*40 · .*5 · .*$/s }).waitFor();
    const cells = await pairing.locator('td').allTextContents();
    expect(cells[2]).toMatch(/^40 · [\d.]+ (B|KiB)$/);
    expect(cells[3]).toMatch(/^5 · [\d.]+ (B|KiB)$/);
    await admin
      .locator('#relay-totals')
      .filter({ hasText: /^45 relays/ })
      .waitFor();

    // The pairing ends: its row and its counters go.
    await alice.unpair();
    await admin.locator('#no-pairings').waitFor();
    await chartValue(admin, '#chart-population', 'data-pairings', (v) => v === 0);
    expect(errors).toEqual([]);
  }, 45_000); // a browser and three clients on a loaded 2-core machine
});
