import { afterEach, describe, expect, it } from '@jest/globals';
import type { Socket } from 'socket.io-client';
import { waitFor } from '../support/gateway-harness.js';
import { emitWithAck, eventually, expectHealthyPair, pairRaw, states } from '../support/wire.js';
import {
  type GraceGateway,
  bothAwayAfterHeldNotes,
  connectWithToken,
  dropAndHold,
  nextSession,
  startGraceGateway,
} from './grace-support.js';

describe('reconnect grace: both sides away at once', () => {
  let gw: GraceGateway;
  let a: Socket;
  let b: Socket;
  afterEach(() => gw.close());

  async function startPaired(graceMs: number): Promise<void> {
    gw = await startGraceGateway({ reconnectGraceMs: graceMs });
    a = await connectWithToken(gw, 'A', 'token-a');
    b = await connectWithToken(gw, 'B', 'token-b');
    await pairRaw(a, b, 'B');
  }

  const awayCount = () => gw.events.filter((event) => event.type === 'away').length;

  it('both come back within the grace: the pairing resumes, and what one sent while the other was away arrives', async () => {
    await startPaired(5000);
    const awayA = dropAndHold(a);
    await eventually(() => awayCount() === 1);
    const awayB = dropAndHold(b);
    await eventually(() => awayCount() === 2);
    expect(await states(gw)).toEqual({ A: 'paired', B: 'paired' });

    expect(await nextSessionAfter(a, awayA.comeBack)).toEqual([{ resumed: true, peerId: 'B' }]);
    expect(await emitWithAck(a, 'P2P_EMIT', { event: 'while-b-away', args: [1] })).toEqual([null]);
    const atB = waitFor(b, 'while-b-away');
    expect(await nextSessionAfter(b, awayB.comeBack)).toEqual([{ resumed: true, peerId: 'A' }]);
    expect(await atB).toEqual([1]);
    await expectHealthyPair(a, b, 'B');
  });

  it('relays B had held for A, and was told were accepted, survive B dropping too', async () => {
    await startPaired(5000);
    const { awayA, awayB } = await bothAwayAfterHeldNotes(gw, a, b);
    await awayB.comeBack();

    const received: unknown[] = [];
    a.on('note', (n: unknown) => received.push(n));
    await awayA.comeBack();
    await expectHealthyPair(a, b, 'B');
    // Accepted relays must reach A, or B must be told they did not: here B was never told, so they must arrive.
    expect(received).toEqual([1, 2]);
  });

  it('neither comes back in time: both records end, and each comeback starts free', async () => {
    await startPaired(300);
    const awayA = dropAndHold(a);
    await eventually(() => awayCount() === 1);
    const awayB = dropAndHold(b);
    await eventually(async () => (await gw.service.counts()).clients === 0);
    expect(await nextSessionAfter(a, awayA.comeBack)).toEqual([{ resumed: false }]);
    expect(await nextSessionAfter(b, awayB.comeBack)).toEqual([{ resumed: false }]);
    expect(await states(gw)).toEqual({ A: 'free', B: 'free' });
  });
});

async function nextSessionAfter(socket: Socket, comeBack: () => Promise<Socket>): Promise<unknown[]> {
  const session = nextSession(socket);
  await comeBack();
  return session;
}
