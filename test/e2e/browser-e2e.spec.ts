import { describe, expect, it } from '@jest/globals';
import type { Page } from 'playwright-core';
import { spyOn } from '../encryption/e2e-gateway.js';
import {
  askThroughPage,
  logShows,
  openSampleTab,
  pairThroughPage,
  sendThroughPage,
  statusIs,
  useSampleTabs,
} from '../support/sample-tab.js';

const MARK = 'tabMARKQZ';

/** The verification code a tab shows, once it shows one. */
async function codeOf(page: Page): Promise<string> {
  const code = page.locator('#code').filter({ hasText: /^\d{6}$/ });
  await code.waitFor();
  return (await code.textContent())!;
}

describe('browser sample in Chromium: end-to-end encryption between two tabs', () => {
  const tabs = useSampleTabs(10_000);

  it('two tabs with e2e on show the same code, and text typed in one appears in the other (the gateway sees none of it)', async () => {
    const spy = spyOn(tabs.app);
    const alice = await openSampleTab(tabs.context, tabs.app.url, 'alice', tabs.errors, '&e2e=on');
    const bob = await openSampleTab(tabs.context, tabs.app.url, 'bob', tabs.errors, '&e2e=on');
    expect(await alice.locator('#e2e').textContent()).toBe('on');

    await pairThroughPage(alice, 'bob');
    await statusIs(bob, 'paired with alice');
    const [aliceCode, bobCode] = await Promise.all([codeOf(alice), codeOf(bob)]);
    expect(aliceCode).toBe(bobCode);
    await logShows(bob, `verification code ${bobCode}`);

    await sendThroughPage(alice, `hello bob ${MARK}`);
    await logShows(bob, `alice says: hello bob ${MARK}`);
    await logShows(alice, '\u2713 read by bob');
    await sendThroughPage(bob, `hi alice ${MARK}`);
    await logShows(alice, `bob says: hi alice ${MARK}`);
    await logShows(bob, '\u2713 read by alice');

    // What crossed the gateway: frames, but neither the text nor the receipt.
    expect(spy.count('P2P_FRAME')).toBeGreaterThan(0);
    for (const marker of [MARK, 'read by']) expect([marker, spy.count(marker)]).toEqual([marker, 0]);
    expect(tabs.errors).toEqual([]);
  });

  it('the toggle turns e2e on in a tab (reloading it with ?e2e=on); a tab without it cannot pair securely with one with it', async () => {
    const alice = await openSampleTab(tabs.context, tabs.app.url, 'alice', tabs.errors);
    expect(await alice.locator('#e2e').textContent()).toBe('off');
    await alice.getByRole('button', { name: 'Turn end-to-end encryption on' }).click();
    await alice.locator('#e2e').filter({ hasText: /^on$/ }).waitFor();
    expect(new URL(alice.url()).searchParams.get('e2e')).toBe('on');
    await statusIs(alice, 'idle');
    const bob = await openSampleTab(tabs.context, tabs.app.url, 'bob', tabs.errors);
    // The pairing is made, then ended by alice at once: bob's status may show it paired for too short a time to be
    // seen, so its log (which keeps every line) says that it was paired, and then unpaired.
    await askThroughPage(bob, 'alice');
    await logShows(bob, 'paired with alice');
    await logShows(alice, 'E2E_REQUIRED');
    await logShows(bob, 'unpaired from alice');
    await statusIs(bob, 'idle');
    await statusIs(alice, 'idle');
    expect(await alice.locator('#code').textContent()).toBe('');
  });
});
