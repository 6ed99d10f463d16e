import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { P2pClient, P2pError } from '../../packages/client/src/index.js';
import { eventually } from '../support/eventually.js';
import { type GatewayHarness, connectClient, startGateway, waitFor } from '../support/gateway-harness.js';

describe('P2pClient: relay, unpair, list', () => {
  let gw: GatewayHarness;
  let a: P2pClient;
  let b: P2pClient;
  beforeEach(async () => {
    gw = await startGateway({ pairTimeoutMs: 2000, ackTimeoutMs: 300 });
    b = await connectClient(gw, 'B');
    a = await connectClient(gw, 'A');
  });
  afterEach(() => gw.close());

  async function pairAB(): Promise<void> {
    const bPaired = waitFor(b, 'paired');
    await a.pair('B');
    await bPaired;
  }

  it('emit delivers to the peer; without a peer it reports NOT_PAIRED on the error event', async () => {
    const errors: P2pError[] = [];
    a.on('error', (e) => errors.push(e));
    const stray: unknown[] = [];
    b.socket.on('note', (...args: unknown[]) => stray.push(args));
    a.emit('note', 'too early');
    const [error] = await waitFor<[P2pError]>(a, 'error');
    expect(error).toBeInstanceOf(P2pError);
    expect(error).toMatchObject({ code: 'NOT_PAIRED', event: 'P2P_EMIT' });

    await pairAB();
    const delivered = waitFor(b.socket, 'note');
    a.emit('note', 1, { two: [2] }, null);
    await expect(delivered).resolves.toEqual([1, { two: [2] }, null]);
    expect(stray).toEqual([[1, { two: [2] }, null]]);
    expect(errors).toHaveLength(1);
  });

  it('emit of a reserved name reports RESERVED_EVENT and delivers nothing', async () => {
    await pairAB();
    let delivered = false;
    b.socket.on('P2P_UNREGISTER', () => (delivered = true));
    a.emit('P2P_UNREGISTER');
    await expect(waitFor(a, 'error')).resolves.toEqual([expect.objectContaining({ code: 'RESERVED_EVENT' })]);
    // A's next relay reaches B after anything A sent before it: had the reserved one gone out, B would have it.
    const next = waitFor(b.socket, 'after-reserved');
    a.emit('after-reserved');
    await next;
    expect(delivered).toBe(false);
    await expect(gw.service.peerOf('B')).resolves.toBe('A');
  });

  it('emitWithAck resolves with what the peer acknowledges', async () => {
    await pairAB();
    b.socket.on('add', (x: number, y: number, cb: (sum: number, note: string) => void) => cb(x + y, 'ignored extra'));
    await expect(a.emitWithAck('add', 2, 40)).resolves.toBe(42);
    a.socket.on('echo', (value: unknown, cb: (v: unknown) => void) => cb(value));
    await expect(b.emitWithAck('echo', { deep: [1, { x: 'y' }] })).resolves.toEqual({ deep: [1, { x: 'y' }] });
  });

  it('emitWithAck rejects with ACK_TIMEOUT when the peer never acknowledges, NOT_PAIRED when unpaired', async () => {
    await expect(a.emitWithAck('anything')).rejects.toMatchObject({ code: 'NOT_PAIRED' });
    await pairAB();
    const heard = waitFor(b.socket, 'silent');
    b.socket.on('silent', () => undefined);
    const attempt = a.emitWithAck('silent', 'hello?');
    await expect(attempt).rejects.toBeInstanceOf(P2pError);
    await expect(attempt).rejects.toMatchObject({ code: 'ACK_TIMEOUT' });
    const [first] = await heard;
    expect(first).toBe('hello?');
    await expect(gw.service.peerOf('A')).resolves.toBe('B');
  });

  it('unpair frees both and tells the peer; a second unpair rejects with NOT_PAIRED', async () => {
    await pairAB();
    const bUnpaired = waitFor(b, 'unpaired');
    await a.unpair();
    await expect(bUnpaired).resolves.toEqual(['A', 'UNREGISTERED']);
    expect([a.peerId, b.peerId]).toEqual([undefined, undefined]);
    await expect(a.unpair()).rejects.toMatchObject({ code: 'NOT_PAIRED' });
    await expect(gw.service.counts()).resolves.toMatchObject({ pairings: 0 });
  });

  it('listClients answers everyone, or only the available ones', async () => {
    const c = await connectClient(gw, 'C');
    await pairAB();
    await expect(c.listClients()).resolves.toEqual(['B', 'A', 'C']);
    await expect(c.listClients({ available: true })).resolves.toEqual(['C']);
    await expect(c.listClients({ available: false })).resolves.toEqual(['B', 'A', 'C']);
  });

  it("follows the peer's departure: 'unpaired' with DISCONNECTED, and relays then fail", async () => {
    await pairAB();
    const unpaired = waitFor(a, 'unpaired');
    b.socket.disconnect();
    await expect(unpaired).resolves.toEqual(['B', 'DISCONNECTED']);
    expect(a.state).toBe('idle');
    await expect(a.emitWithAck('x')).rejects.toMatchObject({ code: 'NOT_PAIRED' });
    await eventually(async () => expect(await a.listClients()).toEqual(['A']));
  });
});
