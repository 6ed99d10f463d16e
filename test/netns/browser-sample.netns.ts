// Runs only inside a network namespace holding nothing but `lo` (test/webrtc/netns.spec.ts starts it with
// `unshare -rn`): the browser sample (sample/browser) in two Chromium tabs, whose P2pClients (option webrtc) upgrade
// their pairing through coturn on 127.0.0.1 (relay-only: Chromium gathers no host candidates in this namespace).
import { mkdtemp, rm } from 'node:fs/promises';
import type { ChildProcess } from 'node:child_process';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { Registry } from 'prom-client';
import { P2pModule } from '../../packages/server/src/index.js';
import { P2pMetricsService } from '../../packages/server/src/metrics/p2p-metrics.service.js';
import { BrowserPageModule } from '../../sample/browser-page.module.js';
import { buildBundlesForTest, launchChromium, watchForErrors } from '../support/chromium.js';
import { type HttpAppHarness, startHttpApp } from '../support/control-center-app.js';
import { logShows, pairThroughPage, sendThroughPage, statusIs } from '../support/sample-tab.js';
import { SECRET, TURN_URL, startCoturn } from './coturn.js';

/**
 * Before the page's own script: keeps every RTCPeerConnection and data channel the page makes (`window.__webrtc`),
 * and the candidates it gathers, so the test can close a channel and check the network rule.
 */
function recordWebRtc(): void {
  const Native = window.RTCPeerConnection;
  const kept = { connections: [] as RTCPeerConnection[], channels: [] as RTCDataChannel[], candidates: [] as string[] };
  (window as unknown as { __webrtc: typeof kept }).__webrtc = kept;
  window.RTCPeerConnection = class extends Native {
    constructor(config?: RTCConfiguration) {
      super(config);
      kept.connections.push(this);
      this.addEventListener('datachannel', (event) => kept.channels.push(event.channel));
      this.addEventListener('icecandidate', (event) => {
        if (event.candidate?.candidate) kept.candidates.push(event.candidate.candidate);
      });
    }
    override createDataChannel(label: string, init?: RTCDataChannelInit): RTCDataChannel {
      const channel = super.createDataChannel(label, init);
      kept.channels.push(channel);
      return channel;
    }
  } as typeof RTCPeerConnection;
}

describe('Chromium: the browser sample upgrades to a data channel, shows direct, and falls back (TURN on loopback)', () => {
  let dir: string;
  let turn: ChildProcess;
  let app: HttpAppHarness;
  let browser: Browser;
  let context: BrowserContext;
  const errors: string[] = [];

  beforeAll(async () => {
    expect(Object.keys(networkInterfaces())).toEqual(['lo']);
    dir = await mkdtemp(join(tmpdir(), 'p2p-sample-'));
    turn = await startCoturn(dir);
    const bundleDir = await buildBundlesForTest();
    app = await startHttpApp([
      P2pModule.forRoot({
        webrtc: { turn: { urls: TURN_URL, secret: SECRET, ttlSeconds: 600 } },
        metrics: { registry: new Registry(), path: false },
      }),
      BrowserPageModule.register({ bundleDir }),
    ]);
    browser = await launchChromium(['--allow-loopback-in-peer-connection']);
    context = await browser.newContext();
    context.setDefaultTimeout(30_000);
    await context.addInitScript(recordWebRtc);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    turn?.kill('SIGTERM');
    await rm(dir, { recursive: true, force: true });
  });

  async function tab(clientId: string): Promise<Page> {
    const page = watchForErrors(await context.newPage(), errors);
    await page.goto(`${app.url}/browser/?clientId=${clientId}&ice=relay`);
    await statusIs(page, 'idle');
    return page;
  }

  const transportIs = (page: Page, transport: string) =>
    page
      .locator('#transport')
      .filter({ hasText: new RegExp(`^${transport}$`) })
      .waitFor({ timeout: 60_000 });
  /** Waits until `count` lines of the tab's log contain `text`. */
  const logCount = (page: Page, text: string, count: number) =>
    page.waitForFunction(
      ([t, n]) => [...document.querySelectorAll('#log li')].filter((li) => li.textContent?.includes(t as string)).length >= (n as number),
      [text, count] as const,
      { timeout: 30_000 },
    );
  const relayed = () => {
    const { emit, ack, frame } = app.app.get(P2pMetricsService).meter!.relayedMessages;
    return emit + ack + frame;
  };

  it('two tabs pair, go direct, message each other without the gateway relaying, fall back when a channel closes, and go direct again', async () => {
    const alice = await tab('alice');
    const bob = await tab('bob');
    expect(await alice.locator('#transport').textContent()).toBe('relay');
    await pairThroughPage(alice, 'bob');
    await statusIs(bob, 'paired with alice');
    await transportIs(alice, 'direct');
    await transportIs(bob, 'direct');
    await logShows(alice, 'transport: direct');
    expect((await app.service.listPairings())[0]?.transport).toBe('direct');

    const before = relayed();
    await sendThroughPage(alice, 'hello bob');
    await logShows(bob, 'alice says: hello bob');
    await logShows(alice, '\u2713 read by bob');
    await sendThroughPage(bob, 'hi alice');
    await logShows(alice, 'bob says: hi alice');
    await logShows(bob, '\u2713 read by alice');
    expect(relayed()).toBe(before);

    // Bob's side closes its data channel: both tabs fall back to the relay, and messages keep flowing.
    await bob.evaluate(() => (window as any).__webrtc.channels.at(-1).close());
    await transportIs(bob, 'relay');
    await transportIs(alice, 'relay');
    await logShows(alice, 'transport: relay');
    await sendThroughPage(alice, 'after the fallback');
    await logShows(bob, 'alice says: after the fallback');
    await logCount(alice, '\u2713 read by bob', 2);
    expect(relayed()).toBeGreaterThan(before);

    // The side that offers tries again with backoff: direct once more.
    await transportIs(alice, 'direct');
    await transportIs(bob, 'direct');
    const beforeSecond = relayed();
    await sendThroughPage(bob, 'direct again');
    await logShows(alice, 'bob says: direct again');
    await logCount(bob, '\u2713 read by alice', 2);
    expect(relayed()).toBe(beforeSecond);

    // The network rule: every candidate either tab gathered is a TURN relay candidate on loopback.
    const candidates = [
      ...((await alice.evaluate(() => (window as any).__webrtc.candidates)) as string[]),
      ...((await bob.evaluate(() => (window as any).__webrtc.candidates)) as string[]),
    ];
    expect(candidates.length).toBeGreaterThan(0);
    for (const candidate of candidates) {
      expect(candidate).toMatch(/ typ relay/);
      expect(candidate.split(' ')[4]).toBe('127.0.0.1');
    }
    expect(errors).toEqual([]);
  }, 240_000);
});
