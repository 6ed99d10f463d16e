import { afterAll, beforeAll, describe, it } from '@jest/globals';
import type { Socket } from 'socket.io-client';
import { settle } from '../support/gateway-harness.js';
import { expectHealthyPair, pairRaw } from '../support/wire.js';
import type { ClusterNodeProcess } from './support/cluster-node.process.js';
import { type TestCluster, useCluster } from './support/cluster.js';
import { admitted, expectRunning, refusedWith } from './support/outage.js';
import { RedisServerProcess } from './support/redis-server.process.js';

/** Longer than ioredis keeps commands queued while Redis is away (20 reconnection attempts, about 11 s). */
const LONG_OUTAGE_MS = 14_000;

describe('cluster: a long Redis outage with traffic between nodes', () => {
  // One Redis for two clusters, one per adapter, so a single outage covers both.
  const redis = new RedisServerProcess();
  const classic = useCluster('long-outage-classic', { redis: { nodeTtlMs: 1500 } });
  const sharded = useCluster('long-outage-sharded', { redis: { nodeTtlMs: 1500, sharded: true } });
  const nodes = new Map<TestCluster, [ClusterNodeProcess, ClusterNodeProcess]>();
  beforeAll(async () => {
    await redis.start();
    const options = { redis: { url: redis.url } };
    await Promise.all(
      [classic, sharded].map(async (cluster) => {
        nodes.set(cluster, await Promise.all([cluster.node('nodeX', options), cluster.node('nodeY', options)]));
      }),
    );
  }, 60_000);
  afterAll(() => redis.dispose());

  it(`relays, acks, joins and leaves between nodes during ${LONG_OUTAGE_MS / 1000} s without Redis crash no node; all recover`, async () => {
    const all = [...nodes.values()].flat();
    const pairs = new Map<TestCluster, [Socket, Socket]>();
    for (const [cluster, [nodeX, nodeY]] of nodes) {
      const [cId, dId] = cluster.ids('C', 'D');
      const [c, d] = await Promise.all([cluster.connectV1(nodeX, cId), cluster.connectV1(nodeY, dId)]);
      await pairRaw(c, d, dId);
      pairs.set(cluster, [c, d]);
    }
    await redis.kill();
    for (const [cluster, [nodeX]] of nodes) await refusedWith(cluster, nodeX, 'STORE_UNAVAILABLE');

    const until = Date.now() + LONG_OUTAGE_MS;
    for (let round = 0; Date.now() < until; round++) {
      for (const [cluster, [c, d]] of pairs) {
        c.emit('P2P_EMIT', { event: 'note', args: [round] });
        d.emit('P2P_EMIT_ACKNOWLEDGE', { event: 'question', args: [round] }, () => undefined);
        // Connections come and go too (a sharded node subscribes and unsubscribes a channel for each).
        const [nodeX] = nodes.get(cluster)!;
        cluster.socket(nodeX, { query: { clientId: `passer-${round}` } }).on('connect_error', () => undefined);
      }
      await settle(250);
      if (round % 8 === 0) await expectRunning(...all);
    }
    await expectRunning(...all);

    await redis.start();
    for (const [cluster, [nodeX, nodeY]] of nodes) {
      const [fId, gId] = cluster.ids('F', 'G');
      const [f, g] = await Promise.all([admitted(cluster, nodeX, fId), admitted(cluster, nodeY, gId)]);
      await pairRaw(f, g, gId);
      await expectHealthyPair(f, g, gId);
    }
    await expectRunning(...all);
  }, 90_000);
});
