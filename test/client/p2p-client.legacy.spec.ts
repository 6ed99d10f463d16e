import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { P2pClient, P2pError } from '../../packages/client/src/index.js';
import { type GatewayHarness, connectClient, startGateway, waitFor } from '../support/gateway-harness.js';

/** The original plugin's method names, kept on P2pClient for code moving over from socket.io-p2p-plugin. */
describe('P2pClient: original API names', () => {
  let gw: GatewayHarness;
  let a: P2pClient;
  let b: P2pClient;
  beforeEach(async () => {
    gw = await startGateway({ pairTimeoutMs: 2000, ackTimeoutMs: 2000 });
    b = await connectClient(gw, 'B');
    a = await connectClient(gw, 'A');
  });
  afterEach(() => gw.close());

  it('registerP2pTarget with callbacks calls onSuccess, or onFailure with the P2pError', async () => {
    const failure = await new Promise<P2pError>((resolve, reject) =>
      a.registerP2pTarget('ghost', {}, () => reject(new Error('onSuccess for an offline target')), resolve),
    );
    expect(failure).toBeInstanceOf(P2pError);
    expect(failure.code).toBe('TARGET_OFFLINE');
    await new Promise<void>((resolve) => a.registerP2pTarget('B', {}, resolve));
    expect(a.peerId).toBe('B');
    await expect(gw.service.peerOf('B')).resolves.toBe('A');
  });

  it("registerP2pTarget without callbacks resolves true or false, the reason going to 'error'", async () => {
    const reason = waitFor<[P2pError]>(a, 'error');
    await expect(a.registerP2pTarget('ghost')).resolves.toBe(false);
    await expect(reason).resolves.toEqual([expect.objectContaining({ code: 'TARGET_OFFLINE' })]);
    await expect(a.registerP2pTarget('B', {})).resolves.toBe(true);
    expect(a.state).toBe('paired');
  });

  it("unregisterP2pTarget frees the pair, and without one reports NOT_PAIRED on 'error' without rejecting", async () => {
    await a.registerP2pTarget('B');
    const told = waitFor(b.socket, 'P2P_DISCONNECT');
    await expect(a.unregisterP2pTarget()).resolves.toBeUndefined();
    await expect(told).resolves.toEqual(['A', 'UNREGISTERED']);
    const reason = waitFor<[P2pError]>(a, 'error');
    await expect(a.unregisterP2pTarget()).resolves.toBeUndefined();
    await expect(reason).resolves.toEqual([expect.objectContaining({ code: 'NOT_PAIRED' })]);
  });

  it('emit2 without an ack delivers the args; with one, the ack gets every value the peer passed', async () => {
    await a.registerP2pTarget('B');
    // The README's call: emit2('testAck', {a: 1}, 'b', 2, {c: 3}, function (result) {...}).
    let received: unknown[] = [];
    b.socket.on('testAck', (...args: unknown[]) => {
      const callback = args.pop() as (...values: unknown[]) => void;
      received = args;
      callback('result', { n: 1 });
    });
    const acked = await new Promise<unknown[]>((resolve) =>
      a.emit2('testAck', { a: 1 }, 'b', 2, { c: 3 }, (...values: unknown[]) => resolve(values)),
    );
    expect(received).toEqual([{ a: 1 }, 'b', 2, { c: 3 }]);
    expect(acked).toEqual(['result', { n: 1 }]);

    const reply = waitFor(a.socket, 'testAckFromTarget');
    b.emit2('testAckFromTarget', { abc: 'test' });
    await expect(reply).resolves.toEqual([{ abc: 'test' }]);
  });

  it("emit2 with an ack reports a failure on 'error' and never calls the ack", async () => {
    let called = false;
    const reason = waitFor<[P2pError]>(a, 'error');
    a.emit2('lonely', 1, () => (called = true));
    await expect(reason).resolves.toEqual([expect.objectContaining({ code: 'NOT_PAIRED' })]);
    expect(called).toBe(false);
  });

  it('emitP2p is an alias of emit2, with and without ack', async () => {
    await a.registerP2pTarget('B');
    b.socket.on('double', (n: number, cb: (m: number) => void) => cb(n * 2));
    const doubled = await new Promise<unknown[]>((resolve) => a.emitP2p('double', 21, (...values: unknown[]) => resolve(values)));
    expect(doubled).toEqual([42]);
    const plain = waitFor(b.socket, 'plain');
    a.emitP2p('plain', 'x', 'y');
    await expect(plain).resolves.toEqual(['x', 'y']);
  });

  it('getClientList answers through a callback or a promise', async () => {
    const viaCallback = await new Promise<string[]>((resolve) => a.getClientList(resolve));
    expect(viaCallback).toEqual(['B', 'A']);
    await expect(b.getClientList()).resolves.toEqual(['B', 'A']);
  });
});
