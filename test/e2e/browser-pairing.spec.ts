import { describe, expect, it } from '@jest/globals';
import { logShows, openSampleTab, pairThroughPage, sendThroughPage, statusIs, useSampleTabs } from '../support/sample-tab.js';

describe('browser sample in Chromium: P2pClient bundle', () => {
  const tabs = useSampleTabs(8_000);

  it('two tabs pair, message each other both ways with acks, and a closed tab tells the other', async () => {
    const alice = await openSampleTab(tabs.context, tabs.app.url, 'alice', tabs.errors);
    const bob = await openSampleTab(tabs.context, tabs.app.url, 'bob', tabs.errors);

    await pairThroughPage(alice, 'bob');
    await statusIs(bob, 'paired with alice');
    await logShows(bob, 'alice asks to pair');
    expect(await tabs.app.service.peerOf('alice')).toBe('bob');

    await sendThroughPage(alice, 'hello bob');
    await logShows(bob, 'alice says: hello bob');
    await logShows(alice, '\u2713 read by bob');

    await sendThroughPage(bob, 'hi alice');
    await logShows(alice, 'bob says: hi alice');
    await logShows(bob, '\u2713 read by alice');

    await bob.close();
    await logShows(alice, 'unpaired from bob (DISCONNECTED)');
    await statusIs(alice, 'idle');
    expect(await tabs.app.service.getClient('bob')).toBeUndefined();
    expect(tabs.errors).toEqual([]);
  });

  it('a tab without a clientId gets one of its own in its URL', async () => {
    const page = await tabs.context.newPage();
    await page.goto(`${tabs.app.url}/browser/`);
    await statusIs(page, 'idle');
    const clientId = new URL(page.url()).searchParams.get('clientId');
    expect(clientId).toMatch(/^tab-[a-z0-9]+$/);
    expect(await page.locator('#me').textContent()).toBe(clientId);
    expect((await tabs.app.service.listClients()).map((c) => c.clientId)).toEqual([clientId]);
  });
});
