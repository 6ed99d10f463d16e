import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { Browser, BrowserContext } from 'playwright-core';
import { P2pModule } from '../../packages/server/src/index.js';
import { BrowserPageModule } from '../../sample/browser-page.module.js';
import { buildBundlesForTest, launchChromium } from '../support/chromium.js';
import { type HttpAppHarness, startHttpApp } from '../support/control-center-app.js';
import { logShows, openSampleTab, pairThroughPage, sendThroughPage, statusIs } from '../support/sample-tab.js';

describe('browser sample in Chromium: P2pClient bundle', () => {
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
    app = await startHttpApp([P2pModule.forRoot({}), BrowserPageModule.register({ bundleDir })]);
    context = await browser.newContext();
    context.setDefaultTimeout(8_000); // fails with the locator's name, before Jest's timeout hides it
  });
  afterEach(async () => {
    await context.close();
    await app.close();
  });

  it('two tabs pair, message each other both ways with acks, and a closed tab tells the other', async () => {
    const alice = await openSampleTab(context, app.url, 'alice', errors);
    const bob = await openSampleTab(context, app.url, 'bob', errors);

    await pairThroughPage(alice, 'bob');
    await statusIs(bob, 'paired with alice');
    await logShows(bob, 'alice asks to pair');
    expect(await app.service.peerOf('alice')).toBe('bob');

    await sendThroughPage(alice, 'hello bob');
    await logShows(bob, 'alice says: hello bob');
    await logShows(alice, '\u2713 read by bob');

    await sendThroughPage(bob, 'hi alice');
    await logShows(alice, 'bob says: hi alice');
    await logShows(bob, '\u2713 read by alice');

    await bob.close();
    await logShows(alice, 'unpaired from bob (DISCONNECTED)');
    await statusIs(alice, 'idle');
    expect(await app.service.getClient('bob')).toBeUndefined();
    expect(errors).toEqual([]);
  });

  it('a tab without a clientId gets one of its own in its URL', async () => {
    const page = await context.newPage();
    await page.goto(`${app.url}/browser/`);
    await statusIs(page, 'idle');
    const clientId = new URL(page.url()).searchParams.get('clientId');
    expect(clientId).toMatch(/^tab-[a-z0-9]+$/);
    expect(await page.locator('#me').textContent()).toBe(clientId);
    expect((await app.service.listClients()).map((c) => c.clientId)).toEqual([clientId]);
  });
});
