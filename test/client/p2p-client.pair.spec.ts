import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { P2pError } from '../../packages/client/src/index.js';
import { eventually } from '../support/eventually.js';
import { type GatewayHarness, connectClient, connected, rawSocket, startGateway, waitFor } from '../support/gateway-harness.js';

describe('P2pClient: pairing', () => {
  let gw: GatewayHarness;
  beforeEach(async () => {
    gw = await startGateway({ pairTimeoutMs: 500 });
  });
  afterEach(() => gw.close());

  async function pairError(attempt: Promise<void>): Promise<P2pError> {
    const error = await attempt.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(P2pError);
    return error as P2pError;
  }

  it('rejects with a P2pError carrying the code of each immediate refusal', async () => {
    const a = await connectClient(gw, 'A');
    const b = await connectClient(gw, 'B');
    const c = await connectClient(gw, 'C');
    expect((await pairError(a.pair('ghost'))).code).toBe('TARGET_OFFLINE');
    expect((await pairError(a.pair('A'))).code).toBe('SELF_PAIRING');
    expect((await pairError(a.pair(''))).code).toBe('INVALID_PAYLOAD');
    await b.pair('C');
    expect((await pairError(a.pair('B'))).code).toBe('TARGET_BUSY');
    const sourceBusy = await pairError(c.pair('A'));
    expect(sourceBusy).toMatchObject({ code: 'SOURCE_BUSY', event: 'P2P_REGISTER', message: expect.any(String) });
    expect(a.state).toBe('idle');
    await eventually(() => expect(c.peerId).toBe('B'));
  });

  it('rejects with PAIR_REFUSED when the consent hook says no, and the target stays free', async () => {
    const seen: string[] = [];
    const b = await connectClient(gw, 'B', { consent: (sourceId) => sourceId === 'friend' });
    b.on('request', (sourceId) => seen.push(sourceId));
    const a = await connectClient(gw, 'A');
    expect((await pairError(a.pair('B'))).code).toBe('PAIR_REFUSED');
    expect(seen).toEqual(['A']);
    await eventually(() => expect(b.state).toBe('idle'));
    const friend = await connectClient(gw, 'friend');
    await friend.pair('B');
    await expect(gw.service.peerOf('B')).resolves.toBe('friend');
  });

  it('treats a consent hook that throws or rejects as a refusal', async () => {
    await connectClient(gw, 'T1', {
      consent: () => {
        throw new Error('boom');
      },
    });
    await connectClient(gw, 'T2', {
      consent: async () => {
        throw new Error('async boom');
      },
    });
    const a = await connectClient(gw, 'A');
    expect((await pairError(a.pair('T1'))).code).toBe('PAIR_REFUSED');
    expect((await pairError(a.pair('T2'))).code).toBe('PAIR_REFUSED');
    await expect(gw.service.counts()).resolves.toEqual({ clients: 3, pairings: 0, pendingRequests: 0 });
  });

  it('waits for an async consent hook', async () => {
    let decide: (ok: boolean) => void = () => undefined;
    let hookCalled: () => void = () => undefined;
    const hookReached = new Promise<void>((resolve) => (hookCalled = resolve));
    const b = await connectClient(gw, 'B', {
      consent: () =>
        new Promise<boolean>((resolve) => {
          decide = resolve;
          hookCalled();
        }),
    });
    const a = await connectClient(gw, 'A', { pairTimeoutMs: 5000 });
    const attempt = a.pair('B');
    await hookReached;
    expect(b.state).toBe('asked');
    expect(a.state).toBe('pairing');
    await expect(gw.service.getClient('B')).resolves.toMatchObject({ state: 'asked' });
    decide(true);
    await attempt;
    expect(a.peerId).toBe('B');
    await eventually(() => expect(b.peerId).toBe('A'));
  });

  it('rejects with PAIR_TIMEOUT when the target never answers, and the target is told', async () => {
    const b = await connectClient(gw, 'B', { consent: () => new Promise<boolean>(() => undefined) });
    const a = await connectClient(gw, 'A');
    const told = waitFor(b.socket, 'P2P_DISCONNECT');
    expect((await pairError(a.pair('B'))).code).toBe('PAIR_TIMEOUT');
    await expect(told).resolves.toEqual(['A', 'PAIR_TIMEOUT']);
    expect([a.state, b.state]).toEqual(['idle', 'idle']);
  });

  it('rejects with PEER_DISCONNECTED when the target leaves while asked', async () => {
    const target = await connected(rawSocket(gw, { clientId: 'B' }));
    target.on('P2P_REGISTER', () => target.disconnect());
    const a = await connectClient(gw, 'A');
    expect((await pairError(a.pair('B'))).code).toBe('PEER_DISCONNECTED');
    expect(a.state).toBe('idle');
  });

  it("moves through its states and emits 'request', 'paired' and 'unpaired' on both sides", async () => {
    const log: string[] = [];
    const b = await connectClient(gw, 'B');
    const a = await connectClient(gw, 'A');
    b.on('request', (id) => log.push(`B request ${id} (${b.state})`));
    b.on('paired', (id) => log.push(`B paired ${id}`));
    b.on('unpaired', (id, why) => log.push(`B unpaired ${id} ${why}`));
    a.on('paired', (id) => log.push(`A paired ${id}`));
    a.on('unpaired', (id, why) => log.push(`A unpaired ${id} ${why}`));
    expect([a.state, a.peerId, b.state, b.peerId]).toEqual(['idle', undefined, 'idle', undefined]);

    const bPaired = waitFor(b, 'paired');
    const attempt = a.pair('B');
    expect(a.state).toBe('pairing');
    await attempt;
    await bPaired;
    expect([a.state, a.peerId, b.state, b.peerId]).toEqual(['paired', 'B', 'paired', 'A']);

    const bUnpaired = waitFor(b, 'unpaired');
    await a.unpair();
    await bUnpaired;
    expect([a.state, a.peerId, b.state, b.peerId]).toEqual(['idle', undefined, 'idle', undefined]);
    expect(log).toEqual(
      expect.arrayContaining(['B request A (asked)', 'A paired B', 'B paired A', 'A unpaired B UNREGISTERED', 'B unpaired A UNREGISTERED']),
    );
    expect(log).toHaveLength(5);
    expect(log[0]).toBe('B request A (asked)');
  });
});
