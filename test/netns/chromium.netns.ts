// Runs only inside a network namespace holding nothing but `lo` (test/webrtc/netns.spec.ts starts it with
// `unshare -rn`). Chromium gathers no host candidates there; it reaches a TURN server on 127.0.0.1 with
// --allow-loopback-in-peer-connection and a relay-only policy (docs/webrtc.md says why).
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { type Server, createServer } from 'node:http';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import { type GatewayHarness, startGateway } from '../support/gateway-harness.js';
import { buildBundlesForTest, launchChromium, watchForErrors } from '../support/chromium.js';
import { SECRET, TURN_URL, startCoturn } from './coturn.js';
import type { ChildProcess } from 'node:child_process';

/**
 * The page: a protocol 3 socket, raw pairing events, then a DirectPath (relay-only, with the ICE servers the gateway
 * hands out) that reports its transport to the gateway. Everything a test reads is on `window.p2p`.
 */
const PAGE = `<!doctype html><meta charset="utf-8"><title>direct path</title>
<script type="module">
import { io } from '/socket.io-client.js';
import { DirectPath, directPathRole, requestWebRtcConfig, socketSignalling } from '/p2p-client.js';
const state = { path: 'none', frames: [], candidates: [], errors: [], closeReason: null, transport: 'relay' };
window.p2p = state;
window.connect = (gatewayUrl, clientId) => new Promise((resolve, reject) => {
  const socket = io(gatewayUrl, { auth: { clientId, p2pProtocol: 3 }, transports: ['websocket'], reconnection: false });
  state.socket = socket;
  state.clientId = clientId;
  socket.on('P2P_REGISTER', (sourceId) => socket.emit('P2P_REGISTER_SUCCESS', sourceId));
  socket.once('connect', resolve);
  socket.once('connect_error', reject);
});
window.pair = (peerId) => new Promise((resolve, reject) =>
  state.socket.emit('P2P_REGISTER', peerId, (ok, error) => (ok ? resolve() : reject(new Error(JSON.stringify(error))))));
const report = (transport) => { state.transport = transport; state.socket.emit('P2P_TRANSPORT', { transport }, () => undefined); };
window.upgrade = async (peerId) => {
  const config = await requestWebRtcConfig(state.socket);
  if (!config.allowed) throw new Error('upgrade not allowed');
  const base = socketSignalling(state.socket, (error) => state.errors.push(error.code));
  const signalling = {
    send(signal) { if (signal.type === 'candidate') state.candidates.push(signal.candidate); base.send(signal); },
    subscribe: (listener) => base.subscribe(listener),
  };
  const path = new DirectPath({
    role: directPathRole(state.clientId, peerId),
    signalling,
    iceServers: config.iceServers,
    iceTransportPolicy: 'relay',
    connectTimeoutMs: 30000,
    onFrame: (frame) => state.frames.push(frame),
  });
  state.directPath = path;
  state.path = 'connecting';
  path.on('open', () => { state.path = 'open'; report('direct'); });
  path.on('close', (reason) => { state.path = 'closed'; state.closeReason = reason; report('relay'); });
  path.on('failed', (reason) => { state.path = 'failed'; state.closeReason = reason; });
  path.start();
};
window.sendFrame = (frame) => state.directPath.send(frame);
window.sendBytes = (n) => state.directPath.send({ bytes: new Uint8Array(Array.from({ length: n }, (_, i) => i % 256)) });
window.received = () => state.frames.map((frame) => (frame.bytes instanceof Uint8Array ? { bytes: Array.from(frame.bytes) } : frame));
</script>`;

describe('Chromium: two pages upgrade to a data channel signalled through the gateway (TURN on loopback)', () => {
  let dir: string;
  let turn: ChildProcess;
  let harness: GatewayHarness;
  let statics: Server;
  let staticUrl: string;
  let browser: Browser;
  const errors: string[] = [];

  beforeAll(async () => {
    expect(Object.keys(networkInterfaces())).toEqual(['lo']);
    dir = await mkdtemp(join(tmpdir(), 'p2p-chromium-'));
    turn = await startCoturn(dir);
    harness = await startGateway({
      serverOptions: { cors: { origin: true } },
      webrtc: { turn: { urls: TURN_URL, secret: SECRET, ttlSeconds: 600 } },
    });
    const bundles = await buildBundlesForTest();
    const files: Record<string, [string, string]> = {
      '/page.html': ['text/html', PAGE],
      '/p2p-client.js': ['text/javascript', await readFile(join(bundles, 'p2p-client.js'), 'utf8')],
      '/socket.io-client.js': ['text/javascript', await readFile(join(bundles, 'socket.io-client.js'), 'utf8')],
    };
    statics = createServer((request, response) => {
      const file = files[request.url ?? ''];
      // The browser asks for a favicon by itself; no content, and no 404 counted as a page error.
      if (request.url === '/favicon.ico') return void response.writeHead(204).end();
      if (!file) return void response.writeHead(404).end();
      response.writeHead(200, { 'content-type': file[0] }).end(file[1]);
    });
    await new Promise<void>((resolve) => statics.listen(0, '127.0.0.1', resolve));
    staticUrl = `http://127.0.0.1:${(statics.address() as { port: number }).port}`;
    browser = await launchChromium(['--allow-loopback-in-peer-connection']);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await harness?.close();
    await new Promise((resolve) => statics?.close(resolve));
    turn?.kill('SIGTERM');
    await rm(dir, { recursive: true, force: true });
  });

  async function tab(clientId: string): Promise<Page> {
    const page = watchForErrors(await browser.newPage(), errors);
    await page.goto(`${staticUrl}/page.html`);
    await page.waitForFunction(() => typeof (window as unknown as { connect?: unknown }).connect === 'function');
    await page.evaluate(([url, id]) => (window as any).connect(url, id), [harness.url, clientId]);
    return page;
  }

  const pathState = (page: Page) => page.evaluate(() => (window as any).p2p.path as string);

  it('opens, carries text and binary frames with the gateway relaying nothing, shows direct, and falls back when one side closes', async () => {
    const alice = await tab('alice');
    const bob = await tab('bob');
    await alice.evaluate(() => (window as any).pair('bob'));
    await bob.evaluate(() => (window as any).upgrade('alice'));
    await alice.evaluate(() => (window as any).upgrade('bob'));
    await alice.waitForFunction(() => (window as any).p2p.path === 'open', undefined, { timeout: 60_000 });
    await bob.waitForFunction(() => (window as any).p2p.path === 'open', undefined, { timeout: 60_000 });

    expect(await alice.evaluate(() => (window as any).sendFrame({ text: 'hello bob' }))).toBe(true);
    expect(await alice.evaluate(() => (window as any).sendBytes(300))).toBe(true);
    expect(await bob.evaluate(() => (window as any).sendFrame({ text: 'hello alice' }))).toBe(true);
    await bob.waitForFunction(() => (window as any).p2p.frames.length === 2);
    await alice.waitForFunction(() => (window as any).p2p.frames.length === 1);
    expect(await bob.evaluate(() => (window as any).received())).toEqual([
      { text: 'hello bob' },
      { bytes: Array.from({ length: 300 }, (_, i) => i % 256) },
    ]);
    expect(await alice.evaluate(() => (window as any).received())).toEqual([{ text: 'hello alice' }]);
    expect(harness.service.relayStats().relayedMessages).toBe(0);
    expect(harness.service.relayStats().signals).toBeGreaterThanOrEqual(2);

    // Both reported direct: the server shows the pairing as direct.
    await waitUntil(async () => (await harness.service.listPairings())[0]?.transport === 'direct');

    // Every candidate either page offered is a TURN relay candidate on loopback.
    const candidates = [
      ...(await alice.evaluate(() => (window as any).p2p.candidates)),
      ...(await bob.evaluate(() => (window as any).p2p.candidates)),
    ] as string[];
    expect(candidates.length).toBeGreaterThan(0);
    for (const candidate of candidates) {
      expect(candidate).toMatch(/ typ relay/);
      expect(candidate.split(' ')[4]).toBe('127.0.0.1');
    }

    // One side closes its channel: the other sees close, both report the relay again.
    await alice.evaluate(() => (window as any).p2p.directPath.close());
    await bob.waitForFunction(() => (window as any).p2p.path === 'closed', undefined, { timeout: 30_000 });
    expect(await pathState(alice)).toBe('closed');
    expect(['peer-closed', 'channel-closed']).toContain(await bob.evaluate(() => (window as any).p2p.closeReason));
    await waitUntil(async () => (await harness.service.listPairings())[0]?.transport === 'relay');
    expect(await alice.evaluate(() => (window as any).p2p.errors)).toEqual([]);
    expect(errors).toEqual([]);
  }, 180_000);
});

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the server to see it');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
