import { afterEach, describe, expect, it } from '@jest/globals';
import type { Socket } from 'socket.io-client';
import { waitFor } from '../support/gateway-harness.js';
import { emitWithAck, eventually, expectHealthyPair, pairRaw, recordEvents, states } from '../support/wire.js';
import {
  type GraceGateway,
  connectWithToken,
  dropAndHold,
  dropTransport,
  lifecycle,
  lifecycleOf,
  nextSession,
  startGraceGateway,
} from './grace-support.js';

/** Long: every test here comes back within the grace, however slowly a loaded machine reconnects. */
const GRACE_MS = 10_000;

describe('reconnect grace: drop and resume', () => {
  let gw: GraceGateway;
  let a: Socket;
  let b: Socket;
  afterEach(() => gw.close());

  async function startPaired(): Promise<void> {
    gw = await startGraceGateway({ reconnectGraceMs: GRACE_MS });
    a = await connectWithToken(gw, 'A', 'token-a');
    b = await connectWithToken(gw, 'B', 'token-b');
    await pairRaw(a, b, 'B');
  }

  async function expectPaired(): Promise<void> {
    expect(await states(gw)).toEqual({ A: 'paired', B: 'paired' });
    expect(await gw.service.peerOf('A')).toBe('B');
    expect(await gw.service.peerOf('B')).toBe('A');
  }

  it('delivers every relay sent while A was away, in order with exact args; acks carry A answers', async () => {
    await startPaired();
    const atA = recordEvents(a);
    a.on('question', (n: number, text: string, answer: (...results: unknown[]) => void) => answer(n * 10, `re: ${text}`));
    const atB = recordEvents(b);

    const away = dropAndHold(a);
    await lifecycle(gw, { type: 'away', clientId: 'A' });
    await expectPaired();

    // P2P_EMIT's optional ack says the relay was accepted (held), before A is back.
    expect(await emitWithAck(b, 'P2P_EMIT', { targetClientId: 'A', event: 'note', args: [1, { deep: ['x', null] }] })).toEqual([null]);
    const firstAnswer = emitWithAck(b, 'P2P_EMIT_ACKNOWLEDGE', { targetClientId: 'A', event: 'question', args: [1, 'one'] });
    b.emit('P2P_EMIT', { event: 'note', args: [2] });
    const secondAnswer = emitWithAck(b, 'P2P_EMIT_ACKNOWLEDGE', { event: 'question', args: [2, 'two'] });
    expect(await emitWithAck(b, 'P2P_EMIT', { event: 'note', args: ['three', true, 3.5] })).toEqual([null]);
    await expectPaired();

    const session = nextSession(a);
    await away.comeBack();
    expect(await session).toEqual([{ resumed: true, peerId: 'B' }]);
    expect(await firstAnswer).toEqual([null, 10, 're: one']);
    expect(await secondAnswer).toEqual([null, 20, 're: two']);

    const relayed = atA
      .filter(([event]) => event !== 'P2P_SESSION')
      .map(([event, ...args]) => [event, ...args.filter((x) => typeof x !== 'function')]);
    expect(relayed).toEqual([
      ['note', 1, { deep: ['x', null] }],
      ['question', 1, 'one'],
      ['note', 2],
      ['question', 2, 'two'],
      ['note', 'three', true, 3.5],
    ]);
    expect(atA[0]).toEqual(['P2P_SESSION', { resumed: true, peerId: 'B' }]);
    expect(atB).toEqual([]);
    await expectPaired();
    expect(lifecycleOf(gw, 'A').filter((type) => type === 'away' || type === 'resumed' || type === 'disconnected')).toEqual([
      'away',
      'resumed',
    ]);
    expect(gw.events.filter((event) => event.type === 'unpaired' || event.type === 'disconnected')).toEqual([]);
    await expectHealthyPair(a, b, 'B');
  });

  it("reports the peer and the grace deadline in the 'away' event, and the peer in 'resumed'", async () => {
    await startPaired();
    const away = dropAndHold(a);
    const event = await lifecycle(gw, { type: 'away', clientId: 'A' });
    expect(event).toMatchObject({ type: 'away', clientId: 'A', peerId: 'B' });
    if (event.type !== 'away') throw new Error('unreachable');
    expect(event.until - event.at).toBeGreaterThanOrEqual(GRACE_MS - 10);
    await away.comeBack();
    expect(await lifecycle(gw, { type: 'resumed', clientId: 'A' })).toMatchObject({ peerId: 'B' });
  });

  it('keeps order through a short blip where A reconnects by itself while B keeps sending', async () => {
    await startPaired();
    const received: number[] = [];
    a.on('seq', (n: number) => received.push(n));
    let sent = 0;
    for (let round = 1; round <= 3; round++) {
      const back = waitFor(a, 'P2P_SESSION');
      dropTransport(a);
      await lifecycle(gw, { type: 'away', clientId: 'A' });
      // Some of these are held and flushed, the rest relayed straight to the new connection: one order either way.
      for (let i = 0; i < 20; i++) b.emit('P2P_EMIT', { event: 'seq', args: [++sent] });
      expect(await back).toEqual([{ resumed: true, peerId: 'B' }]);
      await lifecycle(gw, { type: 'resumed', clientId: 'A' });
      gw.events.length = 0;
      // Relays written to a connection that then drops are lost with it, as on any socket: let this round land first.
      await eventually(() => received.length === sent);
    }
    expect(received).toEqual(Array.from({ length: sent }, (_, i) => i + 1));
    await expectPaired();
  });

  it('lets A relay to B right after resuming, and holds what A sends while B is the one away', async () => {
    await startPaired();
    const awayA = dropAndHold(a);
    await lifecycle(gw, { type: 'away', clientId: 'A' });
    await awayA.comeBack();
    await lifecycle(gw, { type: 'resumed', clientId: 'A' });
    await expectHealthyPair(a, b, 'B');

    const awayB = dropAndHold(b);
    await lifecycle(gw, { type: 'away', clientId: 'B' });
    expect(await emitWithAck(a, 'P2P_EMIT', { event: 'for-b', args: ['held'] })).toEqual([null]);
    const atB = waitFor(b, 'for-b');
    await awayB.comeBack();
    expect(await atB).toEqual(['held']);
    await expectHealthyPair(a, b, 'B');
  });
});
