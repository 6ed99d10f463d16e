import { afterEach, expect, it } from '@jest/globals';
import { waitFor } from '../../support/gateway-harness.js';
import { expectHealthyPair, pairRaw, whenConnected } from '../../support/wire.js';
import { emitWithAckWithin, type TestCluster } from '../support/cluster.js';

/** The bound of issue 5/5: a dead node's clients are gone, and their peers told, within this. */
const DEATH_BOUND_MS = 10_000;
const SHORT_TTL = { redis: { nodeTtlMs: 1500 } };

/** Requests and acks outlive the sweep here, so what ends them is the node's death. */
export const NODE_DEATH_DEFAULTS = { pairTimeoutMs: 30_000, ackTimeoutMs: 30_000 };

/**
 * A gateway node dies without warning (SIGKILL), restarts, or shuts down cleanly: its clients leave the store and their
 * peers on other nodes are told within 10 s. Registered in the calling describe block, on `cluster`'s backend; its
 * nodes need `pairTimeoutMs` and `ackTimeoutMs` of 30 s (what ends requests and acks here is the node's death).
 */
export function nodeDeathScenarios(cluster: TestCluster): void {
  afterEach(() => cluster.killAll());

  it('SIGKILL of node 2 (default node TTL): within 10 s its clients leave the registry, their peers elsewhere are told, the ids are free again', async () => {
    const [node1, node2, node3] = await Promise.all([cluster.node('node1'), cluster.node('node2'), cluster.node('node3')]);
    const [aId, bId, cId, dId, eId, fId, gId] = cluster.ids('A', 'B', 'C', 'D', 'E', 'F', 'G');
    const [a, b, , d, e, f, g] = await Promise.all([
      cluster.connectV1(node1, aId),
      cluster.connectV1(node2, bId),
      cluster.connectV1(node2, cId),
      cluster.connectV1(node2, dId),
      cluster.connectV1(node1, eId),
      cluster.connectV1(node3, fId),
      cluster.connectV1(node2, gId),
    ]);
    await pairRaw(a, b, bId);
    // D (on node 2) is asking E; F (on node 3) is asking G (on node 2). Neither target answers.
    const eAsked = waitFor(e, 'P2P_REGISTER');
    d.emit('P2P_REGISTER', eId, () => undefined);
    await eAsked;
    const gAsked = waitFor(g, 'P2P_REGISTER');
    const fAnswer = emitWithAckWithin(DEATH_BOUND_MS + 5000, f, 'P2P_REGISTER', gId);
    await gAsked;

    const aNotice = waitFor(a, 'P2P_DISCONNECT', DEATH_BOUND_MS);
    const eNotice = waitFor(e, 'P2P_DISCONNECT', DEATH_BOUND_MS);
    await node2.kill();
    expect(await aNotice).toEqual([bId, 'DISCONNECTED']);
    expect(await eNotice).toEqual([dId, 'DISCONNECTED']);
    expect(await fAnswer).toEqual([false, expect.objectContaining({ code: 'PEER_DISCONNECTED', event: 'P2P_REGISTER' })]);

    for (const id of [bId, cId, dId, gId]) await expect(node1.call('getClient', id)).resolves.toBeUndefined();
    for (const id of [aId, eId, fId]) await expect(node3.call('getClient', id)).resolves.toMatchObject({ state: 'free' });
    await expect(node1.call('counts')).resolves.toEqual({ clients: 3, pairings: 0, pendingRequests: 0 });

    // B comes back on node 1 (no session token: its old record must really be gone) and pairs with A again.
    const newB = await cluster.connectV1(node1, bId);
    await pairRaw(a, newB, bId);
    await expectHealthyPair(a, newB, bId);
  }, 40_000);

  it('a restarted node (same port, new process) serves again: B reconnects there and pairs across nodes', async () => {
    const [node1, node2] = await Promise.all([cluster.node('node1', SHORT_TTL), cluster.node('node2', SHORT_TTL)]);
    const [aId, bId] = cluster.ids('A', 'B');
    const [a, b] = await Promise.all([cluster.connectV1(node1, aId), cluster.connectV1(node2, bId)]);
    await pairRaw(a, b, bId);
    const notice = waitFor(a, 'P2P_DISCONNECT', DEATH_BOUND_MS);
    await node2.kill();
    await node2.start(node2.port);
    expect(await notice).toEqual([bId, 'DISCONNECTED']);

    const newB = await cluster.connectV1(node2, bId);
    await pairRaw(a, newB, bId);
    await expectHealthyPair(a, newB, bId);
    await expect(node1.call('peerOf', bId)).resolves.toBe(aId);
  }, 40_000);

  it('a node restarted under the same nodeId before its TTL ran out clears what its previous life left behind', async () => {
    // A TTL longer than the restart takes: the restarted node renews the liveness of its previous life.
    const fixed = { redis: { nodeTtlMs: 8000 }, nodeId: `${cluster.ids('node2')[0]}-fixed` };
    const [node1, node2] = await Promise.all([cluster.node('node1', SHORT_TTL), cluster.node('node2', fixed)]);
    const [aId, bId] = cluster.ids('A', 'B');
    const [a, b] = await Promise.all([cluster.connectV1(node1, aId), cluster.connectV1(node2, bId)]);
    await pairRaw(a, b, bId);
    const notice = waitFor(a, 'P2P_DISCONNECT', DEATH_BOUND_MS);
    await node2.kill();
    await node2.start(node2.port);
    expect(await notice).toEqual([bId, 'DISCONNECTED']);
    await expect(node1.call('getClient', bId)).resolves.toBeUndefined();
    const newB = await cluster.connectV1(node2, bId);
    await pairRaw(a, newB, bId);
    await expectHealthyPair(a, newB, bId);
  }, 40_000);

  it('a relay ack awaited from a node that dies fails with PEER_DISCONNECTED when its client is swept', async () => {
    const [node1, node2] = await Promise.all([cluster.node('node1', SHORT_TTL), cluster.node('node2', SHORT_TTL)]);
    const [aId, bId] = cluster.ids('A', 'B');
    const [a, b] = await Promise.all([cluster.connectV2(node1, aId), cluster.connectV1(node2, bId)]);
    await pairRaw(a, b, bId);
    const asked = waitFor(b, 'question');
    const answer = emitWithAckWithin(DEATH_BOUND_MS, a, 'P2P_EMIT_ACKNOWLEDGE', { event: 'question', args: [] });
    await asked;
    await node2.kill();
    expect(await answer).toEqual([expect.objectContaining({ code: 'PEER_DISCONNECTED', event: 'P2P_EMIT_ACKNOWLEDGE' })]);
  }, 40_000);

  it('a clean shutdown tells the peers at once (long node TTL, so no sweep is involved) and closes its connections', async () => {
    const long = { redis: { nodeTtlMs: 60_000 } };
    const [node1, node2] = await Promise.all([cluster.node('node1', long), cluster.node('node2', long)]);
    const [aId, bId] = cluster.ids('A', 'B');
    const [a, b] = await Promise.all([cluster.connectV1(node1, aId), cluster.connectV1(node2, bId)]);
    await pairRaw(a, b, bId);
    const notice = waitFor(a, 'P2P_DISCONNECT');
    const closed = waitFor(b, 'disconnect');
    await node2.stop();
    expect(await notice).toEqual([bId, 'DISCONNECTED']);
    await closed;
    expect(node2.exitCode).toBe(0);
    await expect(node1.call('getClient', bId)).resolves.toBeUndefined();
    await expect(node1.call('getClient', aId)).resolves.toMatchObject({ state: 'free' });
    await expect(whenConnected(cluster.socket(node1, { query: { clientId: bId } }))).resolves.toBeDefined();
  }, 40_000);
}
