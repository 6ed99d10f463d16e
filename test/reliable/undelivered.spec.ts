import { afterEach, describe, expect, it } from '@jest/globals';
import type { UndeliveredMessage } from '../../packages/client/src/index.js';
import { P2pError } from '../../packages/protocol/src/index.js';
import { type GatewayHarness, connectClient, startGateway, waitFor } from '../support/gateway-harness.js';
import { eventually } from '../support/eventually.js';
import { connectRawV2, emitWithAck } from '../support/wire.js';
import { resetStalled, stopReading } from '../support/network-cut.js';
import { dropAndHold, reconnectingClient } from '../grace/grace-support.js';

describe('reliable channel: a pairing that ends reports every unconfirmed message', () => {
  let gw: GatewayHarness;
  afterEach(async () => {
    resetStalled();
    await gw.close();
  });

  it('the host app ends the pairing while the peer reads nothing: the sender gets `undelivered` with each message, in order', async () => {
    gw = await startGateway({ limits: { slowConsumerTimeoutMs: false } });
    const a = await connectClient(gw, 'A');
    const b = await connectClient(gw, 'B');
    await a.pair('B');
    await eventually(() => expect(b.state).toBe('paired'));
    stopReading(b.socket);
    const reported = waitFor<[UndeliveredMessage[], P2pError]>(a, 'undelivered');
    const answer = a.emitWithAck('question', 'q');
    for (let n = 0; n < 5; n++) a.emit('n', n);
    await eventually(() => expect(a.writable).toBe(true)); // all five are in the window, unconfirmed
    await gw.service.unpair('A', 'MAINTENANCE');

    const [messages, error] = await reported;
    expect(messages).toEqual([{ event: 'question', args: ['q'] }, ...[0, 1, 2, 3, 4].map((n) => ({ event: 'n', args: [n] }))]);
    expect(error).toBeInstanceOf(P2pError);
    expect(error).toMatchObject({ code: 'PEER_DISCONNECTED' });
    expect(error.message).toContain('MAINTENANCE');
    await expect(answer).rejects.toMatchObject({ code: 'PEER_DISCONNECTED' });
  });

  it('the peer never comes back within the grace: what it did not confirm is reported when the pairing ends', async () => {
    gw = await startGateway({ reconnectGraceMs: 800 });
    const a = await reconnectingClient(gw, 'A');
    const b = await reconnectingClient(gw, 'B');
    await a.pair('B');
    await eventually(() => expect(b.state).toBe('paired'));
    const got: number[] = [];
    b.socket.on('n', (n: number) => got.push(n));
    a.emit('n', 0);
    await eventually(() => expect(got).toEqual([0]));
    await eventually(() => expect(a.unconfirmed).toBe(0));
    dropAndHold(b.socket); // B is away and stays away: the server holds the pairing for 800 ms, then ends it
    const reported = waitFor<[UndeliveredMessage[], P2pError]>(a, 'undelivered', 10_000);
    a.emit('n', 1);
    a.emit('n', 2);
    const [messages, error] = await reported;
    expect(messages.map((m) => m.args[0])).toEqual([1, 2]);
    expect(error.code).toBe('PEER_DISCONNECTED');
    expect(a.state).toBe('idle');
    expect(got).toEqual([0]);
  });

  it('keeps the original protocol for older peers: a protocol 3 client paired with a protocol 2 client or a raw one relays plainly', async () => {
    gw = await startGateway();
    const a = await connectClient(gw, 'A');
    const b = await connectClient(gw, 'B', { reliable: false });
    await a.pair('B');
    await eventually(() => expect(b.state).toBe('paired'));
    expect([a.reliable, b.reliable]).toEqual([false, false]);
    const arrived = waitFor(b.socket, 'hello');
    expect(a.emit('hello', 1)).toBe(true);
    await expect(arrived).resolves.toEqual([1]);
    b.socket.on('double', (n: number, answer: (r: number) => void) => answer(n * 2));
    await expect(a.emitWithAck('double', 21)).resolves.toBe(42);
    await a.unpair();

    const raw = await connectRawV2(gw, 'R');
    const c = await connectClient(gw, 'C');
    raw.on('P2P_REGISTER', (sourceId: string) => raw.emit('P2P_REGISTER_SUCCESS', sourceId));
    await c.pair('R');
    expect(c.reliable).toBe(false);
    const plain = waitFor(raw, 'hi');
    c.emit('hi', 'there');
    await expect(plain).resolves.toEqual(['there']);
    // A raw protocol 2 client cannot send frames on its own behalf: the server refuses P2P_FRAME below protocol 3.
    const refused = waitFor(raw, 'P2P_ERROR');
    raw.emit('P2P_FRAME', { s: 1, e: 'x', a: [] });
    await expect(refused).resolves.toEqual([expect.objectContaining({ code: 'INVALID_PAYLOAD', event: 'P2P_FRAME', seq: 1 })]);
    expect(await emitWithAck(raw, 'LIST_CLIENTS')).toEqual([expect.arrayContaining(['R', 'C'])]);
  });
});
