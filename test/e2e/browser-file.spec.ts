import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser } from 'playwright-core';
import { P2pModule } from '../../packages/server/src/index.js';
import { BrowserPageModule } from '../../sample/browser-page.module.js';
import { buildBundlesForTest, launchChromium } from '../support/chromium.js';
import { type HttpAppHarness, startHttpApp } from '../support/control-center-app.js';
import { openSampleTab, pairThroughPage, statusIs } from '../support/sample-tab.js';

describe('browser sample in Chromium: a file between two tabs (streams)', () => {
  let browser: Browser;
  let bundleDir: string;
  let app: HttpAppHarness;

  beforeAll(async () => {
    [browser, bundleDir] = await Promise.all([launchChromium(), buildBundlesForTest()]);
    app = await startHttpApp([P2pModule.forRoot({}), BrowserPageModule.register({ bundleDir })]);
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await browser?.close();
  });

  it('a 20 MB file chosen in one tab arrives in the paired tab with a download link, the digests equal', async () => {
    const errors: string[] = [];
    const context = await browser.newContext();
    context.setDefaultTimeout(60_000);
    const alice = await openSampleTab(context, app.url, 'alice', errors);
    const bob = await openSampleTab(context, app.url, 'bob', errors);
    await pairThroughPage(alice, 'bob');
    await statusIs(bob, 'paired with alice');

    const file = randomBytes(20 * 1000 * 1000);
    const digest = createHash('sha256').update(file).digest('hex');
    await alice.getByLabel('file to share').setInputFiles({ name: 'big.bin', mimeType: 'application/octet-stream', buffer: file });
    const received = bob.locator('#transfers li').filter({ hasText: 'received' });
    await received.waitFor();
    expect(await received.textContent()).toContain(`received ${file.byteLength} bytes, sha256 ${digest}`);
    await alice
      .locator('#transfers li')
      .filter({ hasText: `sent ${file.byteLength} bytes, sha256 ${digest}` })
      .waitFor();
    // The download link holds the very bytes.
    const downloaded = await bob.locator('#transfers a', { hasText: 'download' }).evaluate(async (link: HTMLAnchorElement) => {
      const bytes = new Uint8Array(await (await fetch(link.href)).arrayBuffer());
      const hash = await crypto.subtle.digest('SHA-256', bytes);
      return [link.download, bytes.byteLength, Array.from(new Uint8Array(hash), (b) => b.toString(16).padStart(2, '0')).join('')];
    });
    expect(downloaded).toEqual(['big.bin', file.byteLength, digest]);
    expect(errors).toEqual([]);
    await context.close();
  }, 120_000);
});
