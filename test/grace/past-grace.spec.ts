import { afterEach, describe, expect, it } from '@jest/globals';
import type { Socket } from 'socket.io-client';
import { waitFor } from '../support/gateway-harness.js';
import { connectRaw, emitWithAck, eventually, expectHealthyPair, listClients, pairRaw, recordEvents, states } from '../support/wire.js';
import {
  type GraceGateway,
  connectWithToken,
  dropAndHold,
  lifecycle,
  lifecycleOf,
  nextSession,
  startGraceGateway,
} from './grace-support.js';

const GRACE_MS = 400;

describe('reconnect grace: drop past the grace period', () => {
  let gw: GraceGateway;
  let a: Socket;
  afterEach(() => gw.close());

  it('tells B P2P_DISCONNECT(A, DISCONNECTED) once the grace is over, and fails every relay held for A', async () => {
    gw = await startGraceGateway({ reconnectGraceMs: GRACE_MS, ackTimeoutMs: 10_000 });
    a = await connectWithToken(gw, 'A', 'token-a');
    const b = await connectWithToken(gw, 'B', 'token-b');
    await pairRaw(a, b, 'B');
    const atB = recordEvents(b);

    const away = dropAndHold(a);
    const awayEvent = await lifecycle(gw, { type: 'away', clientId: 'A' });
    const told = waitFor<[string, string]>(b, 'P2P_DISCONNECT');
    b.emit('P2P_EMIT', { event: 'note', args: [1] });
    const firstAck = emitWithAck(b, 'P2P_EMIT_ACKNOWLEDGE', { event: 'question', args: [1] });
    b.emit('P2P_EMIT', { targetClientId: 'A', event: 'note', args: [2] });
    const secondAck = emitWithAck(b, 'P2P_EMIT_ACKNOWLEDGE', { event: 'question', args: [2] });

    expect(await told).toEqual(['A', 'DISCONNECTED']);
    if (awayEvent.type !== 'away') throw new Error('unreachable');
    expect(Date.now()).toBeGreaterThanOrEqual(awayEvent.until - 5); // not before the grace ran out
    const peerGone = { code: 'PEER_DISCONNECTED', message: expect.any(String), event: 'P2P_EMIT_ACKNOWLEDGE' };
    expect(await firstAck).toEqual([peerGone]);
    expect(await secondAck).toEqual([peerGone]);
    // One P2P_ERROR names how many fire-and-forget relays were not delivered, ahead of the disconnect notice.
    expect(atB.map(([event]) => event)).toEqual(['P2P_ERROR', 'P2P_DISCONNECT']);
    expect(atB[0]![1]).toEqual({ code: 'PEER_DISCONNECTED', message: expect.stringContaining('2 relayed message(s)'), event: 'P2P_EMIT' });

    expect(await states(gw)).toEqual({ B: 'free' });
    expect(lifecycleOf(gw, 'A').slice(-3)).toEqual(['away', 'disconnected', 'unpaired']);
    expect(gw.events.find((event) => event.type === 'unpaired')).toMatchObject({ clientId: 'A', peerId: 'B', reason: 'DISCONNECTED' });

    // A comes back too late: it is told its pairing was not kept, and starts free.
    const session = nextSession(a);
    await away.comeBack();
    expect(await session).toEqual([{ resumed: false }]);
    expect(await states(gw)).toEqual({ A: 'free', B: 'free' });
    expect(await listClients(a, { available: true })).toEqual(['A', 'B']);
    expect(gw.events.some((event) => event.type === 'resumed')).toBe(false);
    await pairRaw(b, a, 'A');
    await expectHealthyPair(a, b, 'B');
  });

  it('fails the held relays of a protocol 1 sender as one P2P_ERROR per acknowledged relay plus one for the rest', async () => {
    gw = await startGraceGateway({ reconnectGraceMs: GRACE_MS, ackTimeoutMs: 10_000 });
    a = await connectWithToken(gw, 'A', 'token-a');
    const b = await connectRaw(gw, 'B');
    await pairRaw(b, a, 'A');
    const atB = recordEvents(b);
    const ackCalls: unknown[][] = [];

    dropAndHold(a);
    await lifecycle(gw, { type: 'away', clientId: 'A' });
    b.emit('P2P_EMIT_ACKNOWLEDGE', { event: 'question', args: [1] }, (...args: unknown[]) => ackCalls.push(args));
    b.emit('P2P_EMIT', { event: 'note', args: [1] });
    b.emit('P2P_EMIT_ACKNOWLEDGE', { event: 'question', args: [2] }, (...args: unknown[]) => ackCalls.push(args));

    await eventually(() => atB.some(([event]) => event === 'P2P_DISCONNECT'));
    expect(atB).toEqual([
      ['P2P_ERROR', { code: 'PEER_DISCONNECTED', message: expect.any(String), event: 'P2P_EMIT_ACKNOWLEDGE' }],
      ['P2P_ERROR', { code: 'PEER_DISCONNECTED', message: expect.any(String), event: 'P2P_EMIT_ACKNOWLEDGE' }],
      ['P2P_ERROR', { code: 'PEER_DISCONNECTED', message: expect.stringContaining('1 relayed message(s)'), event: 'P2P_EMIT' }],
      ['P2P_DISCONNECT', 'A', 'DISCONNECTED'],
    ]);
    expect(ackCalls).toEqual([]); // protocol 1 acks carry results only; failures travel as P2P_ERROR
  });

  it('keeps the pairing for the whole grace: a comeback late in it still resumes', async () => {
    const graceMs = 4000;
    gw = await startGraceGateway({ reconnectGraceMs: graceMs });
    a = await connectWithToken(gw, 'A', 'token-a');
    const b = await connectWithToken(gw, 'B', 'token-b');
    await pairRaw(a, b, 'B');
    const away = dropAndHold(a);
    const awayEvent = await lifecycle(gw, { type: 'away', clientId: 'A' });
    if (awayEvent.type !== 'away') throw new Error('unreachable');
    // Past the middle of the grace, with 1.5 s left for the comeback: the pairing is still held.
    await sleepUntil(awayEvent.until - 1500);
    expect(await states(gw)).toEqual({ A: 'paired', B: 'paired' });
    const session = nextSession(a);
    await away.comeBack();
    expect(await session).toEqual([{ resumed: true, peerId: 'B' }]);
    await expectHealthyPair(a, b, 'B');
    // The grace timer of the dropped connection is gone: nothing happens when it would have run out. That timer runs
    // in this process and was armed first, so it has fired by the end of this wait; the round trips then bring
    // whatever it sent.
    const atB = recordEvents(b);
    await sleepUntil(awayEvent.until + 250);
    await expectHealthyPair(a, b, 'B');
    expect(atB.filter(([event]) => event !== 'health-check')).toEqual([]);
    expect(await states(gw)).toEqual({ A: 'paired', B: 'paired' });
  });
});

/** Resolves once `Date.now()` has reached `at`. */
function sleepUntil(at: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, at - Date.now())));
}
