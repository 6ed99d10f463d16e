import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { waitFor } from '../support/gateway-harness.js';
import { eventually } from '../support/eventually.js';
import { emitWithAck, expectHealthyPair, pairRaw, refusalOf, whenConnected } from '../support/wire.js';
import type { ClusterNodeProcess } from './support/cluster-node.process.js';
import { NODES_START_TIMEOUT_MS, emitWithAckWithin, useCluster } from './support/cluster.js';
import { RedisServerProcess } from './support/redis-server.process.js';

const PAIR_TIMEOUT_MS = 1500;

describe('cluster: Redis away for a while, then back with its data (append-only file)', () => {
  const redis = new RedisServerProcess(true);
  const cluster = useCluster('redis-aof', { pairTimeoutMs: PAIR_TIMEOUT_MS, redis: { nodeTtlMs: 1500 } });
  let nodeX: ClusterNodeProcess;
  let nodeY: ClusterNodeProcess;
  beforeAll(async () => {
    await redis.start();
    const options = { redis: { url: redis.url } };
    [nodeX, nodeY] = await Promise.all([cluster.node('nodeX', options), cluster.node('nodeY', options)]);
  }, NODES_START_TIMEOUT_MS);
  afterAll(() => redis.dispose());

  /** Kills Redis and waits until `node` refuses newcomers for want of it. */
  async function redisDown(node: ClusterNodeProcess): Promise<void> {
    await redis.kill();
    await eventually(
      async () => {
        const refusal = await refusalOf(cluster.socket(node, { query: { clientId: `probe-${Date.now()}` } }));
        expect(refusal.data).toMatchObject({ code: 'STORE_UNAVAILABLE' });
      },
      5000,
      100,
    );
  }

  it('clients that left while Redis was away are removed once it is back: their peers are told, their ids free', async () => {
    const [aId, bId, cId, dId] = cluster.ids('A', 'B', 'C', 'D');
    const [a, b, c, d] = await Promise.all([
      cluster.connectV1(nodeX, aId),
      cluster.connectV1(nodeY, bId),
      cluster.connectV1(nodeX, cId),
      cluster.connectV1(nodeX, dId),
    ]);
    await pairRaw(a, b, bId);
    await pairRaw(c, d, dId);
    await redisDown(nodeY);
    b.disconnect();
    c.disconnect();
    const atA = waitFor(a, 'P2P_DISCONNECT', 15_000);
    const atD = waitFor(d, 'P2P_DISCONNECT', 15_000);
    await redis.start();

    expect(await atA).toEqual([bId, 'DISCONNECTED']);
    expect(await atD).toEqual([cId, 'DISCONNECTED']);
    await expect(nodeX.call('getClient', bId)).resolves.toBeUndefined();
    await expect(nodeY.call('getClient', cId)).resolves.toBeUndefined();
    const newB = await whenConnected(cluster.socket(nodeX, { query: { clientId: bId } }));
    await pairRaw(a, newB, bId);
    await expectHealthyPair(a, newB, bId);
  }, 40_000);

  it('a pairing request timing out while Redis is away: no crash; once it is back the source gets PAIR_TIMEOUT, nobody stays busy', async () => {
    const [aId, bId] = cluster.ids('A', 'B');
    const [a, b] = await Promise.all([cluster.connectV1(nodeX, aId), cluster.connectV1(nodeY, bId)]);
    const asked = waitFor(b, 'P2P_REGISTER');
    const answer = emitWithAckWithin(20_000, a, 'P2P_REGISTER', bId);
    await asked;
    await redisDown(nodeX);
    // The request's timer runs out meanwhile: the store cannot record its end yet.
    await Promise.all([nodeX.expectRunning(PAIR_TIMEOUT_MS + 1000), nodeY.expectRunning(PAIR_TIMEOUT_MS + 1000)]);

    const notice = waitFor(b, 'P2P_DISCONNECT', 10_000);
    await redis.start();
    expect(await answer).toEqual([false, expect.objectContaining({ code: 'PAIR_TIMEOUT' })]);
    expect(await notice).toEqual([aId, 'PAIR_TIMEOUT']);
    await expect(nodeX.call('getClient', aId)).resolves.toMatchObject({ state: 'free' });
    await expect(nodeX.call('getClient', bId)).resolves.toMatchObject({ state: 'free' });
    b.once('P2P_REGISTER', (sourceId: string) => b.emit('P2P_REGISTER_SUCCESS', sourceId));
    expect(await emitWithAck(a, 'P2P_REGISTER', bId)).toEqual([true]);
  }, 40_000);
});
