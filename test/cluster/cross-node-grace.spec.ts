import { beforeAll, describe, expect, it } from '@jest/globals';
import type { Socket } from 'socket.io-client';
import { settle, waitFor } from '../support/gateway-harness.js';
import { eventually } from '../support/eventually.js';
import { emitWithAck, expectHealthyPair, nextP2pError, pairRaw, recordEvents, roundTrip, watchNothing } from '../support/wire.js';
import type { ClusterNodeProcess } from './support/cluster-node.process.js';
import { NODES_START_TIMEOUT_MS, useCluster } from './support/cluster.js';

const GRACE_MS = 2500;

describe('cluster: reconnect grace across nodes', () => {
  const cluster = useCluster('grace', { reconnectGraceMs: GRACE_MS, redis: { nodeTtlMs: 1500 } });
  let node1: ClusterNodeProcess;
  let node2: ClusterNodeProcess;
  beforeAll(async () => {
    [node1, node2] = await Promise.all([cluster.node('node1'), cluster.node('node2')]);
  }, NODES_START_TIMEOUT_MS);

  let probes = 0;

  /**
   * Every frame `from` has posted to `to` so far has been handled there: a probe connection on `to` is closed through
   * `from` (PairingService.disconnect, whose close travels to `to` behind those frames, on the same channel). No quiet
   * window decides it.
   */
  async function caughtUp(from: ClusterNodeProcess, to: ClusterNodeProcess): Promise<void> {
    const [probeId] = cluster.ids(`probe${++probes}`);
    const probe = await cluster.connectV1(to, probeId);
    const closed = waitFor<[string]>(probe, 'disconnect');
    await expect(from.call('disconnect', probeId)).resolves.toBe(true);
    const [reason] = await closed;
    expect(reason).toBe('io server disconnect');
  }

  /** Protocol 2 clients with session tokens: A on `nodeOfA`, B on `nodeOfB`, paired. */
  async function paired(nodeOfA: ClusterNodeProcess, nodeOfB: ClusterNodeProcess) {
    const [aId, bId] = cluster.ids('A', 'B');
    const [a, b] = await Promise.all([cluster.connectV2(nodeOfA, aId, `token-${aId}`), cluster.connectV2(nodeOfB, bId, `token-${bId}`)]);
    await pairRaw(a, b, bId);
    return { a, b, aId, bId };
  }

  /**
   * Drops B's transport without a goodbye (the server sees 'transport close') and waits until its node noticed and A's
   * node was told that B is away (a cluster message, posted before the 'away' event: A's relays are held from then on).
   */
  async function drop(b: Socket, bId: string, nodeOfB: ClusterNodeProcess, nodeOfA: ClusterNodeProcess): Promise<void> {
    b.io.reconnection(false);
    b.io.engine.close();
    await eventually(() => expect(nodeOfB.events).toContainEqual(expect.objectContaining({ type: 'away', clientId: bId })), 5000);
    await caughtUp(nodeOfB, nodeOfA);
  }

  /**
   * B comes back as a new connection to `node` with its session token, answering questions from the start (held
   * relays follow P2P_SESSION at once); resolves with it and its P2P_SESSION.
   */
  function resume(node: ClusterNodeProcess, bId: string): Promise<[Socket, unknown]> {
    const socket = cluster.socket(node, { auth: { clientId: bId, sessionToken: `token-${bId}`, p2pProtocol: 2 } });
    const log = recordEvents(socket);
    answerQuestions(socket);
    return new Promise((resolve) => socket.once('P2P_SESSION', (session: unknown) => resolve([Object.assign(socket, { log }), session])));
  }

  /** A sends, while B is away: notes and questions interleaved. */
  function sendWhileAway(a: Socket) {
    a.emit('P2P_EMIT', { event: 'note', args: [1] });
    const first = emitWithAck(a, 'P2P_EMIT_ACKNOWLEDGE', { event: 'question', args: [2] });
    a.emit('P2P_EMIT', { event: 'note', args: [3, { deep: ['x'] }] });
    const second = emitWithAck(a, 'P2P_EMIT_ACKNOWLEDGE', { event: 'question', args: [4] });
    a.emit('P2P_EMIT', { event: 'note', args: [5] });
    return { first, second };
  }

  const relayedTo = (socket: Socket) =>
    (socket as Socket & { log: unknown[][] }).log
      .filter(([event]) => event !== 'P2P_SESSION')
      .map(([event, ...args]) => [event, ...args.filter((arg) => typeof arg !== 'function')]);
  const IN_ORDER = [
    ['note', 1],
    ['question', 2],
    ['note', 3, { deep: ['x'] }],
    ['question', 4],
    ['note', 5],
  ];

  function answerQuestions(socket: Socket): void {
    socket.on('question', (n: number, reply: (...results: unknown[]) => void) => reply(n * 10, `answer ${n}`));
  }

  it("B drops from node 2 and resumes on node 1 within grace: A's held relays arrive in order, acks answered", async () => {
    const { a, b, aId, bId } = await paired(node1, node2);
    await drop(b, bId, node2, node1);
    const noNotice = watchNothing([a], 'P2P_DISCONNECT');
    const graceOver = settle(GRACE_MS + 1000);
    const { first, second } = sendWhileAway(a);

    const [newB, session] = await resume(node1, bId);
    expect(session).toEqual({ resumed: true, peerId: aId });
    expect(await first).toEqual([null, 20, 'answer 2']);
    expect(await second).toEqual([null, 40, 'answer 4']);
    expect(relayedTo(newB)).toEqual(IN_ORDER);
    // Node 2's grace timer for the old connection runs out meanwhile: it must not end the resumed pairing.
    await graceOver;
    await expectHealthyPair(a, newB, bId);
    await noNotice.verify();
    await expect(node2.call('peerOf', aId)).resolves.toBe(bId);
  }, 30_000);

  it('B drops from node 1 and resumes on node 2: the held relays cross nodes, still in order', async () => {
    const { a, b, aId, bId } = await paired(node1, node1);
    await drop(b, bId, node1, node1);
    const { first, second } = sendWhileAway(a);

    const [newB, session] = await resume(node2, bId);
    expect(session).toEqual({ resumed: true, peerId: aId });
    expect(await first).toEqual([null, 20, 'answer 2']);
    expect(await second).toEqual([null, 40, 'answer 4']);
    expect(relayedTo(newB)).toEqual(IN_ORDER);
    await expectHealthyPair(a, newB, bId);
  }, 30_000);

  it('B never comes back to any node: after the grace A is told, and what was held for B fails', async () => {
    const { a, b, bId } = await paired(node1, node2);
    await drop(b, bId, node2, node1);
    const heldError = nextP2pError(a);
    const notice = waitFor(a, 'P2P_DISCONNECT', GRACE_MS + 5000);
    a.emit('P2P_EMIT', { event: 'note', args: [1] });
    const answer = emitWithAck(a, 'P2P_EMIT_ACKNOWLEDGE', { event: 'question', args: [2] });
    expect(await notice).toEqual([bId, 'DISCONNECTED']);
    expect(await answer).toEqual([expect.objectContaining({ code: 'PEER_DISCONNECTED', event: 'P2P_EMIT_ACKNOWLEDGE' })]);
    expect(await heldError).toMatchObject({ code: 'PEER_DISCONNECTED', event: 'P2P_EMIT' });
    await expect(node1.call('getClient', bId)).resolves.toBeUndefined();
  }, 30_000);

  it('node 2 dies after B moved to node 1: the sweep of node 2 leaves the resumed B and its pairing alone', async () => {
    const node3 = await cluster.node('node3');
    const { a, b, aId, bId } = await paired(node1, node3);
    const [canaryId] = cluster.ids('canary');
    await cluster.connectV1(node3, canaryId);
    await drop(b, bId, node3, node1);
    const [newB] = await resume(node1, bId);
    const atA = recordEvents(a);
    await node3.kill();
    await eventually(async () => expect(await node1.call('getClient', canaryId)).toBeUndefined(), 10_000);
    // Whatever the node that swept node 3 (node 1 or node 2) sent A has arrived before the answer of A's round trip.
    const swept = (node: ClusterNodeProcess) => node.events.some((event) => event.type === 'disconnected' && event.clientId === canaryId);
    await eventually(() => expect(swept(node1) || swept(node2)).toBe(true), 10_000);
    await caughtUp(node2, node1);
    await roundTrip(a);
    expect(atA).toEqual([]);
    await expect(node1.call('peerOf', aId)).resolves.toBe(bId);
    await expectHealthyPair(a, newB, bId);
  }, 30_000);
});

describe('cluster: a session taken by another node frees what its first node kept for it', () => {
  // A grace far longer than the test: only the takeover can free what node 1 kept.
  const cluster = useCluster('grace-takeover', { reconnectGraceMs: 120_000, redis: { nodeTtlMs: 1500 } });
  let node1: ClusterNodeProcess;
  let node2: ClusterNodeProcess;
  beforeAll(async () => {
    [node1, node2] = await Promise.all([cluster.node('node1'), cluster.node('node2')]);
  }, NODES_START_TIMEOUT_MS);

  const token = (id: string) => `token-${id}`;

  it("A's held relays for an away B stay on node 1 while A is away; A resumes on node 2: node 1 frees them", async () => {
    const [aId, bId] = cluster.ids('A', 'B');
    const [a, b] = await Promise.all([cluster.connectV2(node1, aId, token(aId)), cluster.connectV2(node1, bId, token(bId))]);
    await pairRaw(a, b, bId);
    const away = (clientId: string) => node1.events.filter((event) => event.type === 'away' && event.clientId === clientId).length;
    b.io.reconnection(false);
    b.io.engine.close();
    await eventually(() => expect(away(bId)).toBe(1), 5000);
    // Held on A's connection for B, then kept for A's session when A drops too.
    expect(await emitWithAck(a, 'P2P_EMIT', { event: 'note', args: [1] })).toEqual([null]);
    a.io.reconnection(false);
    a.io.engine.close();
    await eventually(() => expect(away(aId)).toBe(1), 5000);
    const before = await node1.call<{ keptOutboxes: number; graceTimers: number }>('heldCounts');
    expect(before).toMatchObject({ keptOutboxes: 1, graceTimers: 2 });

    const resumed = cluster.socket(node2, { auth: { clientId: aId, sessionToken: token(aId), p2pProtocol: 2 } });
    const [session] = await waitFor<[unknown]>(resumed, 'P2P_SESSION');
    expect(session).toEqual({ resumed: true, peerId: bId });
    // Node 2 tells node 1 that A's old connection is closed (it took the session): its grace on node 1 ends there.
    await eventually(async () => expect(await node1.call('heldCounts')).toMatchObject({ keptOutboxes: 0, graceTimers: 1 }), 10_000);
  }, 30_000);
});
