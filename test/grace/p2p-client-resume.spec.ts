import { afterEach, describe, expect, it } from '@jest/globals';
import type { P2pClient, P2pClientState } from '../../packages/client/src/index.js';
import { waitFor } from '../support/gateway-harness.js';
import { eventually, expectNoEvent } from '../support/wire.js';
import {
  type GraceGateway,
  dropTransport,
  dropWhileReconnecting,
  lifecycle,
  reconnectingClient,
  startGraceGateway,
} from './grace-support.js';

/** Every state `client` passes through from now on, read at each event that can change it. */
function trackStates(client: P2pClient): P2pClientState[] {
  const seen: P2pClientState[] = [client.state];
  const note = () => {
    if (seen[seen.length - 1] !== client.state) seen.push(client.state);
  };
  client.socket.on('disconnect', note);
  client.socket.on('P2P_SESSION', note);
  for (const event of ['paired', 'resumed', 'unpaired'] as const) client.on(event, note);
  return seen;
}

describe('reconnect grace: P2pClient end to end', () => {
  let gw: GraceGateway;
  afterEach(() => gw.close());

  it("goes paired -> resuming -> paired with 'resumed', and gets what B sent meanwhile, in order", async () => {
    gw = await startGraceGateway({ reconnectGraceMs: 3000 });
    const a = await reconnectingClient(gw, 'A');
    const b = await reconnectingClient(gw, 'B');
    await a.pair('B');
    const states = trackStates(a);
    const events: unknown[][] = [];
    a.on('unpaired', (...args) => events.push(['unpaired', ...args]));
    a.on('resumed', (...args) => events.push(['resumed', ...args]));
    const received: unknown[][] = [];
    a.socket.on('note', (...args: unknown[]) => received.push(args));
    a.socket.on('question', (n: number, answer: (m: number) => void) => answer(n * 2));
    b.on('unpaired', (...args) => events.push(['B unpaired', ...args]));

    const outage = dropWhileReconnecting(a.socket);
    expect(a.state).toBe('resuming');
    expect(a.peerId).toBe('B');
    await lifecycle(gw, { type: 'away', clientId: 'A' });
    b.emit('note', 1, 'one');
    const answered = b.emitWithAck('question', 21);
    b.emit('note', 2, { two: [2] });
    await eventually(async () => (await gw.service.getClient('B'))?.state === 'paired');

    const resumed = waitFor(a, 'resumed');
    await outage.comeBack();
    expect(await resumed).toEqual(['B']);
    await expect(answered).resolves.toBe(42);
    await eventually(() => received.length === 2);
    expect(received).toEqual([
      [1, 'one'],
      [2, { two: [2] }],
    ]);
    expect(states).toEqual(['paired', 'resuming', 'paired']);
    expect(events).toEqual([['resumed', 'B']]);
    expect(a.state).toBe('paired');
    expect(b.state).toBe('paired');
    b.socket.on('back', (x: string, answer: (y: string) => void) => answer(x.toUpperCase()));
    await expect(a.emitWithAck('back', 'ok')).resolves.toBe('OK');
  });

  it('resumes by itself through a plain blip, reconnection left as it is', async () => {
    gw = await startGraceGateway({ reconnectGraceMs: 3000 });
    const a = await reconnectingClient(gw, 'A');
    const b = await reconnectingClient(gw, 'B');
    const aPaired = waitFor(a, 'paired');
    await b.pair('A');
    await aPaired; // A's side settles when its consent is acknowledged, a moment after B's
    const resumed = waitFor(a, 'resumed');
    dropTransport(a.socket);
    expect(a.state).toBe('resuming');
    expect(await resumed).toEqual(['B']);
    const note = waitFor(b.socket, 'note');
    a.emit('note', 'after the blip');
    expect(await note).toEqual(['after the blip']);
  });

  it("ends idle with 'unpaired' when the server's grace is shorter than the outage (P2P_SESSION resumed: false)", async () => {
    gw = await startGraceGateway({ reconnectGraceMs: 300 });
    const a = await reconnectingClient(gw, 'A', { resumeTimeoutMs: 20_000 });
    const b = await reconnectingClient(gw, 'B');
    await a.pair('B');
    const states = trackStates(a);
    const bUnpaired = waitFor(b, 'unpaired');
    const outage = dropWhileReconnecting(a.socket);
    expect(await bUnpaired).toEqual(['A', 'DISCONNECTED']);
    expect(a.state).toBe('resuming');

    const aUnpaired = waitFor(a, 'unpaired');
    await outage.comeBack();
    expect(await aUnpaired).toEqual(['B', 'DISCONNECTED']);
    expect(a.state).toBe('idle');
    expect(a.peerId).toBeUndefined();
    expect(states).toEqual(['paired', 'resuming', 'idle']);
    await a.pair('B');
    expect(a.state).toBe('paired');
  });

  it("ends idle with 'unpaired' after resumeTimeoutMs when the connection stays away, and stays idle on return", async () => {
    gw = await startGraceGateway({ reconnectGraceMs: 300 });
    const a = await reconnectingClient(gw, 'A', { resumeTimeoutMs: 200 });
    const b = await reconnectingClient(gw, 'B');
    await a.pair('B');
    const aUnpaired = waitFor(a, 'unpaired');
    const bUnpaired = waitFor(b, 'unpaired');
    const outage = dropWhileReconnecting(a.socket);
    expect(a.state).toBe('resuming');
    expect(await aUnpaired).toEqual(['B', 'DISCONNECTED']);
    expect(a.state).toBe('idle');
    expect(await bUnpaired).toEqual(['A', 'DISCONNECTED']);

    const session = waitFor(a.socket, 'P2P_SESSION');
    await outage.comeBack();
    // A protocol 3 client also learns the clientId it was admitted under, the largest message the relay takes and its
    // relay rates (the gateway's defaults).
    expect(await session).toEqual([
      {
        resumed: false,
        clientId: 'A',
        maxMessageBytes: 64 * 1024,
        rates: { messages: { perSecond: 1000, burst: 2000 }, bytes: { perSecond: 4 * 1024 * 1024, burst: 8 * 1024 * 1024 } },
      },
    ]);
    await expectNoEvent(a.socket, 'P2P_DISCONNECT');
    expect(a.state).toBe('idle');
  });

  it('is paired again if it gave up (resumeTimeoutMs) before the server did, and the server kept the pairing', async () => {
    gw = await startGraceGateway({ reconnectGraceMs: 5000 });
    const a = await reconnectingClient(gw, 'A', { resumeTimeoutMs: 150 });
    const b = await reconnectingClient(gw, 'B');
    await a.pair('B');
    const gaveUp = waitFor(a, 'unpaired');
    const outage = dropWhileReconnecting(a.socket);
    expect(await gaveUp).toEqual(['B', 'DISCONNECTED']);
    expect(a.state).toBe('idle');
    const pairedAgain = waitFor(a, 'paired');
    await outage.comeBack();
    expect(await pairedAgain).toEqual(['B']);
    expect(a.state).toBe('paired');
    const note = waitFor(b.socket, 'note');
    a.emit('note', 'still here');
    expect(await note).toEqual(['still here']);
  });

  it('goes idle at once on an intentional disconnect or with reconnection off: nothing to resume', async () => {
    gw = await startGraceGateway({ reconnectGraceMs: 3000 });
    const a = await reconnectingClient(gw, 'A');
    const b = await reconnectingClient(gw, 'B');
    await a.pair('B');
    const unpaired = waitFor(a, 'unpaired');
    const bUnpaired = waitFor(b, 'unpaired');
    a.socket.disconnect();
    expect(a.state).toBe('idle');
    expect(await unpaired).toEqual(['B', 'DISCONNECTED']);
    expect(await bUnpaired).toEqual(['A', 'DISCONNECTED']);

    const c = await reconnectingClient(gw, 'C');
    await c.pair('B');
    c.socket.io.reconnection(false);
    const cUnpaired = waitFor(c, 'unpaired');
    dropTransport(c.socket);
    expect(c.state).toBe('idle');
    expect(await cUnpaired).toEqual(['B', 'DISCONNECTED']);
  });

  it("goes idle on 'reconnect_failed' when the manager gives up", async () => {
    gw = await startGraceGateway({ reconnectGraceMs: 3000 });
    const a = await reconnectingClient(gw, 'A', { resumeTimeoutMs: 20_000 });
    await reconnectingClient(gw, 'B');
    await a.pair('B');
    a.socket.io.reconnectionAttempts(0);
    const unpaired = waitFor(a, 'unpaired');
    dropTransport(a.socket);
    expect(await unpaired).toEqual(['B', 'DISCONNECTED']);
    expect(a.state).toBe('idle');
  });
});
