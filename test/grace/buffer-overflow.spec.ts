import { afterEach, describe, expect, it } from '@jest/globals';
import { waitFor } from '../support/gateway-harness.js';
import { connectRaw, emitWithAck, eventually, expectHealthyPair, nextP2pError, pairRaw, recordEvents } from '../support/wire.js';
import { type GraceGateway, connectWithToken, dropAndHold, lifecycle, startGraceGateway } from './grace-support.js';

describe('reconnect grace: the bounded buffer of a peer that is away', () => {
  let gw: GraceGateway;
  afterEach(() => gw.close());

  it('refuses the relay past reconnectBufferSize with BUFFER_FULL, by ack or P2P_ERROR, and delivers the first ones', async () => {
    gw = await startGraceGateway({ reconnectGraceMs: 5000, reconnectBufferSize: 3 });
    const a = await connectWithToken(gw, 'A', 'token-a');
    const b = await connectWithToken(gw, 'B', 'token-b');
    await pairRaw(a, b, 'B');
    const atA = recordEvents(a);
    a.on('question', (n: number, answer: (m: number) => void) => answer(n + 100));

    const away = dropAndHold(a);
    await lifecycle(gw, { type: 'away', clientId: 'A' });
    expect(await emitWithAck(b, 'P2P_EMIT', { event: 'note', args: [1] })).toEqual([null]);
    const heldAnswer = emitWithAck(b, 'P2P_EMIT_ACKNOWLEDGE', { event: 'question', args: [2] });
    expect(await emitWithAck(b, 'P2P_EMIT', { event: 'note', args: [3] })).toEqual([null]);

    const full = (event: string) => ({ code: 'BUFFER_FULL', message: expect.any(String), event });
    expect(await emitWithAck(b, 'P2P_EMIT', { event: 'note', args: [4] })).toEqual([full('P2P_EMIT')]);
    expect(await emitWithAck(b, 'P2P_EMIT_ACKNOWLEDGE', { event: 'question', args: [5] })).toEqual([full('P2P_EMIT_ACKNOWLEDGE')]);
    const error = nextP2pError(b);
    b.emit('P2P_EMIT', { event: 'note', args: [6] });
    expect(await error).toEqual(full('P2P_EMIT'));

    await away.comeBack();
    expect(await heldAnswer).toEqual([null, 102]);
    const last = waitFor(a, 'after');
    b.emit('P2P_EMIT', { event: 'after', args: [7] });
    await last;
    const relayed = atA.filter(([event]) => event !== 'P2P_SESSION').map(([event, n]) => [event, n]);
    expect(relayed).toEqual([
      ['note', 1],
      ['question', 2],
      ['note', 3],
      ['after', 7],
    ]);
    await expectHealthyPair(a, b, 'B');
  });

  it('starts each absence with an empty buffer', async () => {
    gw = await startGraceGateway({ reconnectGraceMs: 5000, reconnectBufferSize: 2 });
    const a = await connectWithToken(gw, 'A', 'token-a');
    const b = await connectWithToken(gw, 'B', 'token-b');
    await pairRaw(a, b, 'B');
    const received: number[] = [];
    a.on('note', (n: number) => received.push(n));
    for (const round of [0, 1]) {
      const away = dropAndHold(a);
      await eventually(() => gw.events.filter((event) => event.type === 'away').length === round + 1);
      for (const n of [1, 2]) expect(await emitWithAck(b, 'P2P_EMIT', { event: 'note', args: [round * 10 + n] })).toEqual([null]);
      expect(await emitWithAck(b, 'P2P_EMIT', { event: 'note', args: [round * 10 + 3] })).toMatchObject([{ code: 'BUFFER_FULL' }]);
      await away.comeBack();
      await eventually(() => received.length === 2 * (round + 1));
    }
    expect(received).toEqual([1, 2, 11, 12]);
  });

  it('with reconnectBufferSize 0, holds the pairing but refuses every relay while the peer is away', async () => {
    gw = await startGraceGateway({ reconnectGraceMs: 5000, reconnectBufferSize: 0 });
    const a = await connectWithToken(gw, 'A', 'token-a');
    const b = await connectRaw(gw, 'B');
    await pairRaw(b, a, 'A');
    const away = dropAndHold(a);
    await lifecycle(gw, { type: 'away', clientId: 'A' });
    const error = nextP2pError(b);
    b.emit('P2P_EMIT', { event: 'note', args: [1] });
    expect(await error).toMatchObject({ code: 'BUFFER_FULL', event: 'P2P_EMIT' });
    await away.comeBack();
    await lifecycle(gw, { type: 'resumed', clientId: 'A' });
    await expectHealthyPair(a, b, 'B');
  });
});
