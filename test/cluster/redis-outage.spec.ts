import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { waitFor } from '../support/gateway-harness.js';
import { eventually } from '../support/eventually.js';
import { emitWithAck, expectHealthyPair, listClients, nextP2pError, pairRaw, refusalOf, whenConnected } from '../support/wire.js';
import type { ClusterNodeProcess } from './support/cluster-node.process.js';
import { NODES_START_TIMEOUT_MS, useCluster } from './support/cluster.js';
import { admitted, expectRunning, refusedWith } from './support/outage.js';
import { RedisServerProcess } from './support/redis-server.process.js';

describe.each(['classic', 'sharded'] as const)('cluster, %s adapter: Redis unavailable, then back (empty)', (adapter) => {
  const redis = new RedisServerProcess();
  const cluster = useCluster(`outage-${adapter}`, { redis: { nodeTtlMs: 1500, sharded: adapter === 'sharded' } });
  let nodeX: ClusterNodeProcess;
  let nodeY: ClusterNodeProcess;
  beforeAll(async () => {
    await redis.start();
    const options = { redis: { url: redis.url } };
    [nodeX, nodeY] = await Promise.all([cluster.node('nodeX', options), cluster.node('nodeY', options)]);
  }, NODES_START_TIMEOUT_MS);
  afterAll(() => redis.dispose());

  it('while Redis is down: no crash, clear STORE_UNAVAILABLE refusals, pairs on one node keep relaying; then it recovers', async () => {
    const [aId, bId, cId, dId, eId, fId, gId] = cluster.ids('A', 'B', 'C', 'D', 'E', 'F', 'G');
    const [a, b, c, d, e] = await Promise.all([
      cluster.connectV2(nodeX, aId),
      cluster.connectV1(nodeX, bId),
      cluster.connectV1(nodeX, cId),
      cluster.connectV1(nodeY, dId),
      cluster.connectV1(nodeY, eId),
    ]);
    await pairRaw(a, b, bId);
    await pairRaw(c, d, dId);

    await redis.kill();
    const refusal = await refusedWith(cluster, nodeX, 'STORE_UNAVAILABLE');
    expect(refusal.data?.message).toEqual(expect.any(String));
    await refusedWith(cluster, nodeY, 'STORE_UNAVAILABLE');

    // The relay path does not touch the store: A and B (one node) relay, acks included.
    await expectHealthyPair(a, b, bId);
    b.once('question', (n: number, reply: (value: number) => void) => reply(n + 1));
    expect(await emitWithAck(a, 'P2P_EMIT_ACKNOWLEDGE', { event: 'question', args: [41] })).toEqual([null, 42]);

    // What needs the store answers with the code.
    const listError = nextP2pError(e);
    e.emit('LIST_CLIENTS', () => undefined);
    expect(await listError).toMatchObject({ code: 'STORE_UNAVAILABLE', event: 'LIST_CLIENTS' });
    expect(await emitWithAck(e, 'P2P_REGISTER', cId)).toEqual([false, expect.objectContaining({ code: 'STORE_UNAVAILABLE' })]);
    expect(await emitWithAck(a, 'P2P_UNREGISTER')).toEqual([false, expect.objectContaining({ code: 'STORE_UNAVAILABLE' })]);
    await expectRunning(nodeX, nodeY);

    await redis.start();
    const [f, g] = await Promise.all([admitted(cluster, nodeX, fId), admitted(cluster, nodeY, gId)]);
    await pairRaw(f, g, gId);
    await expectHealthyPair(f, g, gId);
    expect(await listClients(f)).toEqual(expect.arrayContaining([fId, gId]));
    await expectRunning(nodeX, nodeY);
  }, 40_000);

  it('Redis came back empty: the connections it forgot are closed, so their clients register again and keep their ids', async () => {
    const [hId, iId] = cluster.ids('H', 'I');
    const h = cluster.socket(nodeX, {
      auth: { clientId: hId, sessionToken: `token-${hId}`, p2pProtocol: 2 },
      reconnection: true,
      reconnectionDelay: 100,
      reconnectionDelayMax: 200,
    });
    await whenConnected(h);
    const i = await cluster.connectV1(nodeY, iId);
    await pairRaw(h, i, iId);

    await redis.kill();
    await refusedWith(cluster, nodeX, 'STORE_UNAVAILABLE');
    const iClosed = waitFor(i, 'disconnect', 10_000);
    const hBack = waitFor(h, 'P2P_SESSION', 10_000);
    await redis.start();

    // Redis forgot them both; each node closes its forgotten connections. I does not reconnect, H does, afresh.
    expect((await iClosed)[0]).toBe('transport close');
    expect(await hBack).toEqual([{ resumed: false }]);
    await eventually(async () => expect(await nodeY.call('getClient', hId)).toMatchObject({ state: 'free' }), 5000);
    expect((await refusalOf(cluster.socket(nodeY, { query: { clientId: hId } }))).data).toMatchObject({ code: 'CLIENT_ID_TAKEN' });
    await expect(nodeX.call('getClient', iId)).resolves.toBeUndefined();
    const [jId] = cluster.ids('J');
    const j = await cluster.connectV1(nodeY, jId);
    await pairRaw(h, j, jId);
    await expectHealthyPair(h, j, jId);
  }, 40_000);
});
