import { beforeAll, expect, it } from '@jest/globals';
import type { Socket } from 'socket.io-client';
import { waitFor } from '../../support/gateway-harness.js';
import { emitWithAck, expectHealthyPair, listClients, nextP2pError, pairRaw, watchNothing } from '../../support/wire.js';
import type { ClusterNodeProcess } from '../support/cluster-node.process.js';
import { NODES_START_TIMEOUT_MS, type TestCluster } from '../support/cluster.js';

/** The nodes' ackTimeoutMs in these scenarios (short, for the ACK_TIMEOUT case). */
export const RELAY_ACK_TIMEOUT_MS = 800;

function errorOf(code: string, event: string) {
  return { code, message: expect.any(String), event };
}

/** What socket.io-client hands over for binary data: a Buffer in Node (an ArrayBuffer in browsers). */
function isBinary(value: unknown): value is Buffer | ArrayBuffer {
  return Buffer.isBuffer(value) || value instanceof ArrayBuffer;
}

function toBuffer(value: Buffer | ArrayBuffer): Buffer {
  return Buffer.isBuffer(value) ? value : Buffer.from(value);
}

/** Answers every `question` with several values, binary included, echoing the binary it got (if it is binary). */
function answerQuestions(socket: Socket, who: string): void {
  socket.on('question', (n: number, blob: unknown, reply: (...results: unknown[]) => void) => {
    const echo = isBinary(blob) ? toBuffer(blob).toString('hex') : `not binary: ${JSON.stringify(blob)}`;
    reply(`${who}:${n}`, n * 2, { echo }, Buffer.from([n, 255]), null);
  });
}

/**
 * Relay across two gateway nodes: pairing through the consent round trip, refusals and timeouts, relays with and
 * without acks, unpairing, departures and client lists. Registered in the calling describe block, on `cluster`'s
 * backend (one Redis, or a Redis Cluster); its nodes need `ackTimeoutMs: RELAY_ACK_TIMEOUT_MS`.
 */
export function crossNodeRelayScenarios(cluster: TestCluster): void {
  let node1: ClusterNodeProcess;
  let node2: ClusterNodeProcess;
  beforeAll(async () => {
    [node1, node2] = await Promise.all([cluster.node('node1'), cluster.node('node2')]);
  }, NODES_START_TIMEOUT_MS);

  /** A (protocol `versionOfA`) on node 1 paired with B (protocol `versionOfB`) on node 2. */
  async function pairedAcross(versionOfA: 1 | 2 = 1, versionOfB: 1 | 2 = 1) {
    const [aId, bId] = cluster.ids('A', 'B');
    const connect = (node: ClusterNodeProcess, id: string, version: 1 | 2) =>
      version === 2 ? cluster.connectV2(node, id) : cluster.connectV1(node, id);
    const [a, b] = await Promise.all([connect(node1, aId, versionOfA), connect(node2, bId, versionOfB)]);
    await pairRaw(a, b, bId);
    return { a, b, aId, bId };
  }

  it('pairs A on node 1 with B on node 2 through the consent round trip; both nodes see the pairing', async () => {
    const [aId, bId, cId] = cluster.ids('A', 'B', 'C');
    const [a, b, c] = await Promise.all([cluster.connectV1(node1, aId), cluster.connectV1(node2, bId), cluster.connectV1(node2, cId)]);
    const asked = waitFor(b, 'P2P_REGISTER');
    const answer = emitWithAck(a, 'P2P_REGISTER', bId);
    expect(await asked).toEqual([aId]);
    await expect(node1.call('getClient', bId)).resolves.toMatchObject({ state: 'asked' });
    await expect(node2.call('getClient', aId)).resolves.toMatchObject({ state: 'asking' });
    expect(await emitWithAck(b, 'P2P_REGISTER_SUCCESS', aId)).toEqual([true]);
    expect(await answer).toEqual([true]);
    for (const node of [node1, node2]) {
      await expect(node.call('peerOf', aId)).resolves.toBe(bId);
      await expect(node.call('peerOf', bId)).resolves.toBe(aId);
    }
    expect(await listClients(c, { available: true })).toContain(cId);
    expect(await listClients(c, { available: true })).not.toContain(aId);
    await expectHealthyPair(a, b, bId);
  });

  it('refuses across nodes: PAIR_REFUSED from the target, TARGET_BUSY, and PAIR_TIMEOUT with its notice', async () => {
    const [aId, bId, cId] = cluster.ids('A', 'B', 'C');
    const [a, b, c] = await Promise.all([cluster.connectV1(node1, aId), cluster.connectV1(node2, bId), cluster.connectV1(node1, cId)]);
    const asked = waitFor(b, 'P2P_REGISTER');
    const refused = emitWithAck(a, 'P2P_REGISTER', bId);
    await asked;
    expect(await emitWithAck(c, 'P2P_REGISTER', bId)).toEqual([false, errorOf('TARGET_BUSY', 'P2P_REGISTER')]);
    expect(await emitWithAck(b, 'P2P_REGISTER_FAILED', aId)).toEqual([true]);
    expect(await refused).toEqual([false, errorOf('PAIR_REFUSED', 'P2P_REGISTER')]);

    // B on node 2 never answers C on node 1: C's node times the request out and tells B.
    const notice = waitFor(b, 'P2P_DISCONNECT', 8000);
    const timedOut = emitWithAck(c, 'P2P_REGISTER', bId);
    expect(await timedOut).toEqual([false, errorOf('PAIR_TIMEOUT', 'P2P_REGISTER')]);
    expect(await notice).toEqual([cId, 'PAIR_TIMEOUT']);
    await expect(node2.call('counts')).resolves.toMatchObject({ pairings: 0, pendingRequests: 0 });
  }, 30_000);

  it('relays P2P_EMIT both ways with exact arguments, binary included', async () => {
    const { a, b, bId } = await pairedAcross();
    const atB = waitFor(b, 'chat');
    a.emit('P2P_EMIT', { targetClientId: bId, event: 'chat', args: [{ deep: [1, 'x', null] }, 'two', 3.5, Buffer.from([1, 2, 3])] });
    const [payload, text, number, blob] = await atB;
    expect([payload, text, number]).toEqual([{ deep: [1, 'x', null] }, 'two', 3.5]);
    expect(isBinary(blob)).toBe(true);
    expect(toBuffer(blob as Buffer)).toEqual(Buffer.from([1, 2, 3]));
    const atA = waitFor(a, 'reply');
    b.emit('P2P_EMIT', { event: 'reply', args: ['back', [true, false]] });
    expect(await atA).toEqual(['back', [true, false]]);
  });

  it('keeps the order of many relays across nodes', async () => {
    const { a, b, bId } = await pairedAcross();
    const seen: number[] = [];
    b.on('seq', (n: number) => seen.push(n));
    const last = new Promise<void>((resolve) => b.on('seq', (n: number) => n === 199 && resolve()));
    for (let n = 0; n < 200; n++) a.emit('P2P_EMIT', { targetClientId: bId, event: 'seq', args: [n] });
    await last;
    expect(seen).toEqual(Array.from({ length: 200 }, (_, n) => n));
  });

  it.each([
    [1, 1],
    [2, 2],
    [1, 2],
    [2, 1],
  ] as const)('P2P_EMIT_ACKNOWLEDGE carries every ack value back, both ways (A protocol %i, B protocol %i)', async (va, vb) => {
    const { a, b, aId, bId } = await pairedAcross(va, vb);
    answerQuestions(a, aId);
    answerQuestions(b, bId);
    const expected = (who: string, n: number) => [`${who}:${n}`, n * 2, { echo: '0a0b' }, Buffer.from([n, 255]), null];
    const normalise = (results: unknown[]) => results.map((value) => (isBinary(value) ? toBuffer(value) : value));

    const fromA = await emitWithAck(a, 'P2P_EMIT_ACKNOWLEDGE', {
      targetClientId: bId,
      event: 'question',
      args: [7, Buffer.from([10, 11])],
    });
    expect(normalise(fromA)).toEqual(va === 2 ? [null, ...expected(bId, 7)] : expected(bId, 7));
    const fromB = await emitWithAck(b, 'P2P_EMIT_ACKNOWLEDGE', { event: 'question', args: [9, Buffer.from([10, 11])] });
    expect(normalise(fromB)).toEqual(vb === 2 ? [null, ...expected(aId, 9)] : expected(aId, 9));
  });

  it('ACK_TIMEOUT across nodes: error-first for protocol 2, P2P_ERROR for protocol 1', async () => {
    const { a, b, bId } = await pairedAcross(2, 1);
    b.on('silent', () => undefined);
    a.on('silent', () => undefined);
    expect(await emitWithAck(a, 'P2P_EMIT_ACKNOWLEDGE', { targetClientId: bId, event: 'silent', args: [1] })).toEqual([
      { ...errorOf('ACK_TIMEOUT', 'P2P_EMIT_ACKNOWLEDGE'), message: expect.stringContaining('"silent"') },
    ]);
    const error = nextP2pError(b);
    b.emit('P2P_EMIT_ACKNOWLEDGE', { event: 'silent', args: [] }, () => {
      throw new Error('a protocol 1 sender gets no ack on failure');
    });
    expect(await error).toMatchObject({ code: 'ACK_TIMEOUT', event: 'P2P_EMIT_ACKNOWLEDGE' });
  });

  it('a peer leaving with an ack owed answers PEER_DISCONNECTED across nodes', async () => {
    const { a, b, bId } = await pairedAcross(2, 1);
    b.on('question', () => b.disconnect());
    const answer = emitWithAck(a, 'P2P_EMIT_ACKNOWLEDGE', { targetClientId: bId, event: 'question', args: [1] });
    expect(await answer).toEqual([errorOf('PEER_DISCONNECTED', 'P2P_EMIT_ACKNOWLEDGE')]);
  });

  it('P2P_UNREGISTER on node 1: B on node 2 gets P2P_DISCONNECT(A, UNREGISTERED); relays stop both ways', async () => {
    const { a, b, aId, bId } = await pairedAcross();
    const notice = waitFor(b, 'P2P_DISCONNECT');
    expect(await emitWithAck(a, 'P2P_UNREGISTER')).toEqual([true]);
    expect(await notice).toEqual([aId, 'UNREGISTERED']);
    await expect(node2.call('getClient', bId)).resolves.toMatchObject({ state: 'free' });
    const refusedB = nextP2pError(b);
    b.emit('P2P_EMIT', { event: 'chat', args: [] });
    expect(await refusedB).toEqual(errorOf('NOT_PAIRED', 'P2P_EMIT'));
    const refusedA = nextP2pError(a);
    a.emit('P2P_EMIT', { event: 'chat', args: [] });
    expect(await refusedA).toEqual(errorOf('NOT_PAIRED', 'P2P_EMIT'));
  });

  it('a disconnect on node 2: A on node 1 gets P2P_DISCONNECT(B, DISCONNECTED) and is free', async () => {
    const { a, b, aId, bId } = await pairedAcross();
    const notice = waitFor(a, 'P2P_DISCONNECT');
    b.disconnect();
    expect(await notice).toEqual([bId, 'DISCONNECTED']);
    await expect(node1.call('getClient', bId)).resolves.toBeUndefined();
    await expect(node1.call('getClient', aId)).resolves.toMatchObject({ state: 'free' });
    const refused = nextP2pError(a);
    a.emit('P2P_EMIT', { event: 'chat', args: [] });
    expect(await refused).toEqual(errorOf('NOT_PAIRED', 'P2P_EMIT'));
  });

  it('LIST_CLIENTS on either node lists the clients of both', async () => {
    const [aId, bId, cId] = cluster.ids('A', 'B', 'C');
    const [a, b, c] = await Promise.all([cluster.connectV1(node1, aId), cluster.connectV1(node2, bId), cluster.connectV1(node2, cId)]);
    await pairRaw(a, b, bId);
    for (const socket of [a, c]) {
      expect(await listClients(socket)).toEqual(expect.arrayContaining([aId, bId, cId]));
      const available = await listClients(socket, { available: true });
      expect(available).toContain(cId);
      expect(available).not.toContain(aId);
      expect(available).not.toContain(bId);
    }
  });

  it('a LIST_CLIENTS walk begun on one node goes on with its cursor on the other', async () => {
    const ids = cluster.ids('P0', 'P1', 'P2', 'P3', 'P4', 'P5', 'P6');
    const viewers = [await cluster.connectV2(node1, ids[0]), await cluster.connectV2(node2, ids[1])];
    for (const [i, id] of ids.slice(2).entries()) await cluster.connectV2(i % 2 ? node1 : node2, id);
    const walked: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      // Pages alternate between the nodes: the cursor is a position in the shared store.
      const [page] = (await emitWithAck(viewers[pages++ % 2]!, 'LIST_CLIENTS', { cursor, limit: 2 })) as [
        { clients: string[]; next: string | null },
      ];
      walked.push(...page.clients);
      cursor = page.next;
    } while (cursor !== null);
    expect(pages).toBeGreaterThanOrEqual(4);
    expect(new Set(walked).size).toBe(walked.length);
    expect(walked).toEqual(expect.arrayContaining(ids));
  });

  it('a relay from a client with no peer reaches nobody on the other node', async () => {
    const [aId, bId] = cluster.ids('A', 'B');
    const [a, b] = await Promise.all([cluster.connectV1(node1, aId), cluster.connectV1(node2, bId)]);
    const refused = nextP2pError(a);
    const silence = watchNothing([b], 'chat');
    a.emit('P2P_EMIT', { targetClientId: bId, event: 'chat', args: [] });
    expect(await refused).toEqual(errorOf('NOT_PAIRED', 'P2P_EMIT'));
    await silence.verify();
  });
}
