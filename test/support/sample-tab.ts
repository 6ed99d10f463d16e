import type { BrowserContext, Page } from 'playwright-core';
import { watchForErrors } from './chromium.js';

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

/** Pairs `source` with `targetId` through the page, as a person would: refresh the list, click the target. */
export async function pairThroughPage(source: Page, targetId: string): Promise<void> {
  await source.getByRole('button', { name: 'Refresh clients' }).click();
  await source.getByRole('button', { name: `Pair with ${targetId}` }).click();
  await statusIs(source, `paired with ${targetId}`);
}

export async function sendThroughPage(page: Page, text: string): Promise<void> {
  await page.getByLabel('message').fill(text);
  await page.getByRole('button', { name: 'Send' }).click();
}
