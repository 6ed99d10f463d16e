import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from '@jest/globals';
import { type Browser, type BrowserContext, type Page, chromium } from 'playwright-core';
import { buildBrowserBundles } from '../../scripts/build-browser.mjs';
import { ADMIN_TOKEN } from './control-center-app.js';

/**
 * Debian's chromium (`npm test`'s pretest, scripts/ensure-test-deps.mjs, installs it); playwright-core downloads no
 * browser of its own.
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Headless Chromium with the flags this closed network needs (no background connections to Google's hosts). Playwright
 * gives every launch a new, empty profile directory of its own.
 */
export function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      ...extraArgs,
    ],
  });
}

/** The browser bundles, built into a new temporary folder (the same build as `npm run build`'s dist/browser). */
export async function buildBundlesForTest(): Promise<string> {
  return buildBrowserBundles(await mkdtemp(join(tmpdir(), 'p2p-browser-')));
}

/** Collects what would go unnoticed in a page: uncaught errors and console errors (a CSP violation is one). */
export function watchForErrors(page: Page, into: string[]): Page {
  page.on('pageerror', (error) => into.push(`${page.url()}: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') into.push(`${page.url()}: ${message.text()}`);
  });
  return page;
}

/** Opens the control center of the app at `appUrl` with the admin token, once its event stream is live. */
export async function openControlCenter(context: BrowserContext, appUrl: string, errors: string[]): Promise<Page> {
  const page = watchForErrors(await context.newPage(), errors);
  const response = await page.goto(`${appUrl}/p2p-admin?token=${encodeURIComponent(ADMIN_TOKEN)}`);
  expect(response?.status()).toBe(200);
  await page.locator('#live').filter({ hasText: 'live' }).waitFor();
  return page;
}
