import { afterAll, afterEach, beforeAll, beforeEach } from '@jest/globals';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { P2pModule } from '../../packages/server/src/index.js';
import { BrowserPageModule } from '../../sample/browser-page.module.js';
import { buildBundlesForTest, launchChromium, watchForErrors } from './chromium.js';
import { type HttpAppHarness, startHttpApp } from './control-center-app.js';

/** What a test of the browser sample works with: the app serving it, a fresh browser context, the tabs' errors. */
export interface SampleTabs {
  readonly app: HttpAppHarness;
  readonly context: BrowserContext;
  /** Errors the tabs opened with `openSampleTab(..., errors)` reported; emptied before each test. */
  readonly errors: string[];
}

/**
 * Registers the hooks of a browser-sample suite in the calling describe block: Chromium and the bundles once, then for
 * each test an in-memory gateway serving the sample and a new browser context, both closed after it. `timeoutMs` is
 * the context's default wait, so a locator fails with its own name before Jest's timeout hides it.
 */
export function useSampleTabs(timeoutMs: number): SampleTabs {
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
    context.setDefaultTimeout(timeoutMs);
  });
  afterEach(async () => {
    await context.close();
    await app.close();
  });
  return {
    get app() {
      return app;
    },
    get context() {
      return context;
    },
    errors,
  };
}

/** A tab of the browser sample (sample/browser) as client `clientId`, connected and idle; `query` more parameters. */
export async function openSampleTab(
  context: BrowserContext,
  baseUrl: string,
  clientId: string,
  errors: string[],
  query = '',
): Promise<Page> {
  const page = watchForErrors(await context.newPage(), errors);
  await page.goto(`${baseUrl}/browser/?clientId=${encodeURIComponent(clientId)}${query}`);
  await statusIs(page, 'idle');
  return page;
}

export function statusIs(page: Page, text: string, timeout = 10_000): Promise<void> {
  return page
    .locator('#status')
    .filter({ hasText: new RegExp(`^${text}$`) })
    .waitFor({ timeout });
}

/** Waits for a line of the tab's log containing `text`. */
export function logShows(page: Page, text: string, timeout = 10_000): Promise<void> {
  return page.locator('#log li').filter({ hasText: text }).first().waitFor({ timeout });
}

/** Asks to pair `source` with `targetId` through the page, as a person would: refresh the list, click the target. */
export async function askThroughPage(source: Page, targetId: string): Promise<void> {
  await source.getByRole('button', { name: 'Refresh clients' }).click();
  await source.getByRole('button', { name: `Pair with ${targetId}` }).click();
}

/** Pairs `source` with `targetId` through the page (`askThroughPage`), and waits until it shows them paired. */
export async function pairThroughPage(source: Page, targetId: string): Promise<void> {
  await askThroughPage(source, targetId);
  await statusIs(source, `paired with ${targetId}`);
}

export async function sendThroughPage(page: Page, text: string): Promise<void> {
  await page.getByLabel('message').fill(text);
  await page.getByRole('button', { name: 'Send' }).click();
}
