import { afterEach, describe, expect, it } from '@jest/globals';
import { P2pError } from '../../packages/protocol/src/index.js';
import { waitFor } from '../support/gateway-harness.js';
import { emitWithAck, expectHealthyPair, pairRaw } from '../support/wire.js';
import {
  type GraceGateway,
  connectWithToken,
  dropAndHold,
  dropTransport,
  lifecycle,
  reconnectingClient,
  startGraceGateway,
  tokenSocket,
} from './grace-support.js';

const peerGone = { code: 'PEER_DISCONNECTED', message: expect.any(String), event: 'P2P_EMIT_ACKNOWLEDGE' };

// ackTimeoutMs is long everywhere: an outcome that comes is one the drop caused, never a timeout.
describe('reconnect grace: acks in flight across a drop', () => {
  let gw: GraceGateway;
  afterEach(() => gw.close());

  it("a protocol 2 P2pClient's emitWithAck in flight when its own transport drops rejects with NOT_CONNECTED", async () => {
    gw = await startGraceGateway({ reconnectGraceMs: 3000, ackTimeoutMs: 10_000 });
    const a = await reconnectingClient(gw, 'A', { ackTimeoutMs: 10_000, reliable: false });
    const b = await reconnectingClient(gw, 'B', { reliable: false });
    const asked = waitFor(b.socket, 'slow-question');
    b.socket.on('slow-question', () => undefined); // B never answers
    await a.pair('B');
    expect(a.reliable).toBe(false);
    const pending = a.emitWithAck('slow-question', 1);
    await asked;
    dropTransport(a.socket);
    const error = await pending.then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(P2pError);
    expect(error).toMatchObject({ code: 'NOT_CONNECTED', event: 'P2P_EMIT_ACKNOWLEDGE' });
    await waitFor(a, 'resumed');
    b.socket.on('echo', (x: number, answer: (y: number) => void) => answer(x));
    await expect(a.emitWithAck('echo', 5)).resolves.toBe(5);
  });

  it("over the reliable channel, an emitWithAck in flight when the sender's transport drops resolves with the peer's answer, its handler run once", async () => {
    gw = await startGraceGateway({ reconnectGraceMs: 3000, ackTimeoutMs: 10_000 });
    const a = await reconnectingClient(gw, 'A', { ackTimeoutMs: 10_000 });
    const b = await reconnectingClient(gw, 'B');
    let calls = 0;
    let answerLater: ((reply: string) => void) | undefined;
    const asked = waitFor(b.socket, 'slow-question');
    b.socket.on('slow-question', (_n: number, answer: (reply: string) => void) => {
      calls++;
      answerLater = answer;
    });
    await a.pair('B');
    expect(a.reliable).toBe(true);
    const pending = a.emitWithAck('slow-question', 1);
    await asked;
    dropTransport(a.socket);
    await waitFor(a, 'resumed');
    answerLater!('answered after the drop');
    await expect(pending).resolves.toBe('answered after the drop');
    b.socket.on('echo', (x: number, answer: (y: number) => void) => answer(x));
    await expect(a.emitWithAck('echo', 5)).resolves.toBe(5);
    expect(calls).toBe(1);
  });

  it('a relay ack A owes to B when A drops is settled for B with PEER_DISCONNECTED, and the pairing carries on', async () => {
    gw = await startGraceGateway({ reconnectGraceMs: 3000, ackTimeoutMs: 10_000 });
    const a = await connectWithToken(gw, 'A', 'token-a');
    const b = await connectWithToken(gw, 'B', 'token-b');
    await pairRaw(a, b, 'B');
    const asked = waitFor<[number, (answer: unknown) => void]>(a, 'question');
    const answer = emitWithAck(b, 'P2P_EMIT_ACKNOWLEDGE', { event: 'question', args: [1] });
    const [, answerLater] = await asked;

    const away = dropAndHold(a);
    expect(await answer).toEqual([peerGone]);
    await lifecycle(gw, { type: 'away', clientId: 'A' });
    await away.comeBack();
    await lifecycle(gw, { type: 'resumed', clientId: 'A' });
    answerLater('too late'); // the callback of a dropped connection goes nowhere, and breaks nothing
    await expectHealthyPair(a, b, 'B');
  });

  it('a held relay flushed to A, then A drops again before answering: B gets PEER_DISCONNECTED', async () => {
    gw = await startGraceGateway({ reconnectGraceMs: 3000, ackTimeoutMs: 10_000 });
    const a = await connectWithToken(gw, 'A', 'token-a');
    const b = await connectWithToken(gw, 'B', 'token-b');
    await pairRaw(a, b, 'B');
    const first = dropAndHold(a);
    await lifecycle(gw, { type: 'away', clientId: 'A' });
    const answer = emitWithAck(b, 'P2P_EMIT_ACKNOWLEDGE', { event: 'question', args: [] });
    const asked = waitFor(a, 'question');
    await first.comeBack();
    await asked;
    dropAndHold(a);
    expect(await answer).toEqual([peerGone]);
  });

  it('a takeover by session token settles the acks the old connection owed with PEER_DISCONNECTED', async () => {
    gw = await startGraceGateway({ reconnectGraceMs: 3000, ackTimeoutMs: 10_000 });
    const a = await connectWithToken(gw, 'A', 'token-a');
    const b = await connectWithToken(gw, 'B', 'token-b');
    await pairRaw(a, b, 'B');
    const asked = waitFor(a, 'question');
    const answer = emitWithAck(b, 'P2P_EMIT_ACKNOWLEDGE', { event: 'question', args: [] });
    await asked;
    const fresh = tokenSocket(gw, 'A', 'token-a', { reconnection: false });
    expect(await answer).toEqual([peerGone]);
    await lifecycle(gw, { type: 'resumed', clientId: 'A' });
    await expectHealthyPair(fresh, b, 'B');
  });

  it("A's own relay acks to B in flight when A drops are never left hanging for A's new connection", async () => {
    gw = await startGraceGateway({ reconnectGraceMs: 3000, ackTimeoutMs: 10_000 });
    const a = await connectWithToken(gw, 'A', 'token-a');
    const b = await connectWithToken(gw, 'B', 'token-b');
    await pairRaw(a, b, 'B');
    const asked = waitFor<[(answer: unknown) => void]>(b, 'question');
    // Socket.IO calls an ack with a timeout with an error when its socket disconnects: A learns at once.
    const answer = new Promise<unknown>((resolve) =>
      a.timeout(10_000).emit('P2P_EMIT_ACKNOWLEDGE', { event: 'question', args: [] }, (err: Error | null) => resolve(err)),
    );
    const [answerB] = await asked;
    dropAndHold(a);
    expect(await answer).toBeInstanceOf(Error);
    answerB('answer for a connection that is gone'); // the server drops it quietly: no crash, B unaffected
    await lifecycle(gw, { type: 'away', clientId: 'A' });
    expect(await gw.service.peerOf('B')).toBe('A');
  });
});
