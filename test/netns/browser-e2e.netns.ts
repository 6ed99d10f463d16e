// Runs only inside a network namespace holding nothing but `lo` (test/webrtc/netns.spec.ts starts it with
// `unshare -rn`): two tabs of the browser sample with e2e on upgrade to a data channel through coturn on 127.0.0.1, the
// signalling sealed (the gateway sees no SDP) and each side's DTLS fingerprint checked by Chromium's own getStats().
import { mkdtemp, rm } from 'node:fs/promises';
import type { ChildProcess } from 'node:child_process';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { P2pModule } from '../../packages/server/src/index.js';
import { BrowserPageModule } from '../../sample/browser-page.module.js';
import { spyOn } from '../encryption/e2e-gateway.js';
import { buildBundlesForTest, launchChromium, watchForErrors } from '../support/chromium.js';
import { type HttpAppHarness, startHttpApp } from '../support/control-center-app.js';
import { logShows, pairThroughPage, sendThroughPage, statusIs } from '../support/sample-tab.js';
import { SECRET, TURN_URL, startCoturn } from './coturn.js';

const MARK = 'netnsMARKQZ';

describe('Chromium: two e2e tabs of the browser sample go direct with sealed signalling (TURN on loopback)', () => {
  let dir: string;
  let turn: ChildProcess;
  let app: HttpAppHarness;
  let browser: Browser;
  let context: BrowserContext;
  const errors: string[] = [];

  beforeAll(async () => {
    expect(Object.keys(networkInterfaces())).toEqual(['lo']);
    dir = await mkdtemp(join(tmpdir(), 'p2p-e2e-'));
    turn = await startCoturn(dir);
    const bundleDir = await buildBundlesForTest();
    app = await startHttpApp([
      P2pModule.forRoot({ webrtc: { turn: { urls: TURN_URL, secret: SECRET, ttlSeconds: 600 } } }),
      BrowserPageModule.register({ bundleDir }),
    ]);
    browser = await launchChromium(['--allow-loopback-in-peer-connection']);
    context = await browser.newContext();
    context.setDefaultTimeout(30_000);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    turn?.kill('SIGTERM');
    await rm(dir, { recursive: true, force: true });
  });

  async function tab(clientId: string): Promise<Page> {
    const page = watchForErrors(await context.newPage(), errors);
    await page.goto(`${app.url}/browser/?clientId=${clientId}&ice=relay&e2e=on`);
    await statusIs(page, 'idle');
    return page;
  }

  const transportIs = (page: Page, transport: string) =>
    page
      .locator('#transport')
      .filter({ hasText: new RegExp(`^${transport}$`) })
      .waitFor({ timeout: 60_000 });

  it('pair, show the same code, go direct (fingerprints checked), and talk; the gateway saw no SDP and no text', async () => {
    const spy = spyOn(app);
    const alice = await tab('alice');
    const bob = await tab('bob');
    await pairThroughPage(alice, 'bob');
    await statusIs(bob, 'paired with alice');
    const code = alice.locator('#code').filter({ hasText: /^\d{6}$/ });
    await code.waitFor();
    expect(
      await bob
        .locator('#code')
        .filter({ hasText: /^\d{6}$/ })
        .textContent(),
    ).toBe(await code.textContent());
    await transportIs(alice, 'direct');
    await transportIs(bob, 'direct');
    await sendThroughPage(alice, `hello bob ${MARK}`);
    await logShows(bob, `alice says: hello bob ${MARK}`);
    await logShows(alice, '\u2713 read by bob');
    for (const marker of ['v=0', 'a=fingerprint', 'candidate:', 'P2P_SIGNAL', MARK])
      expect([marker, spy.count(marker)]).toEqual([marker, 0]);
    for (const page of [alice, bob]) expect(await page.locator('#log li').filter({ hasText: 'E2E_' }).count()).toBe(0);
    expect(errors).toEqual([]);
  }, 240_000);
});
