import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Socket } from 'socket.io-client';
import { eventually } from '../support/eventually.js';
import { settle } from '../support/gateway-harness.js';
import { expectHealthyPair, pairRaw } from '../support/wire.js';
import type { ClusterNodeProcess } from './support/cluster-node.process.js';
import { CLUSTER_DEFAULTS, NODES_START_TIMEOUT_MS, type TestCluster, useCluster } from './support/cluster.js';
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
  }, NODES_START_TIMEOUT_MS);
  afterAll(() => redis.dispose());

  it(`relays, acks, joins and leaves between nodes during ${LONG_OUTAGE_MS / 1000} s without Redis crash no node; all recover`, async () => {
    const all = [...nodes.values()].flat();
    const pairs = new Map<TestCluster, [Socket, Socket]>();
    // D (protocol 2: every question gets exactly one error-first ack) asks C (protocol 1), who answers each.
    const asked: string[] = [];
    const answers = new Map<string, unknown[][]>();
    for (const [cluster, [nodeX, nodeY]] of nodes) {
      const [cId, dId] = cluster.ids('C', 'D');
      const [c, d] = await Promise.all([cluster.connectV1(nodeX, cId), cluster.connectV2(nodeY, dId)]);
      await pairRaw(c, d, dId);
      c.on('question', (n: number, reply: (answer: number) => void) => reply(n * 10));
      pairs.set(cluster, [c, d]);
    }
    await redis.kill();
    for (const [cluster, [nodeX]] of nodes) await refusedWith(cluster, nodeX, 'STORE_UNAVAILABLE');

    const until = Date.now() + LONG_OUTAGE_MS;
    for (let round = 0; Date.now() < until; round++) {
      for (const [cluster, [c, d]] of pairs) {
        c.emit('P2P_EMIT', { event: 'note', args: [round] });
        const key = `${cluster === classic ? 'classic' : 'sharded'}#${round}`;
        asked.push(key);
        d.emit('P2P_EMIT_ACKNOWLEDGE', { event: 'question', args: [round] }, (...answer: unknown[]) => {
          answers.set(key, [...(answers.get(key) ?? []), answer]);
        });
        // Connections come and go too (a sharded node subscribes and unsubscribes a channel for each).
        const [nodeX] = nodes.get(cluster)!;
        cluster.socket(nodeX, { query: { clientId: `passer-${round}` } }).on('connect_error', () => undefined);
      }
      await settle(250);
      if (round % 8 === 0) await expectRunning(...all);
    }
    await expectRunning(...all);

    // Every question asked during the outage is answered exactly once, within the ack timeout: by C's answer when
    // the relay got through, otherwise by an error with a code (the wait is bounded, nothing hangs).
    await eventually(() => expect(answers.size).toBe(asked.length), 2 * CLUSTER_DEFAULTS.ackTimeoutMs + 5000, 100);
    const outcomes = asked.map((key) => {
      const calls = answers.get(key)!;
      expect(calls).toHaveLength(1);
      const [error, result] = calls[0]!;
      if (error === null) {
        expect(result).toBe(Number(key.split('#')[1]) * 10);
        return 'answered';
      }
      expect(error).toEqual({
        code: expect.stringMatching(/^(ACK_TIMEOUT|STORE_UNAVAILABLE)$/),
        message: expect.any(String),
        event: expect.any(String),
      });
      return (error as { code: string }).code;
    });
    expect(outcomes.length).toBeGreaterThan(0);

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
