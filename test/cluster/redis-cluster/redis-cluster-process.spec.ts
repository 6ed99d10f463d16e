import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RedisClusterProcess } from '../support/redis-cluster.process.js';

const SLOTS = 16_384;

describe('test support: a Redis Cluster of six processes on loopback', () => {
  let cluster: RedisClusterProcess;
  beforeAll(async () => {
    cluster = await RedisClusterProcess.start();
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  it('runs three primaries and three replicas that cover all 16384 slots', async () => {
    expect(cluster.nodes).toHaveLength(6);
    expect(new Set(cluster.pids).size).toBe(6);
    const nodes = await cluster.clusterNodes();
    const primaries = nodes.filter((n) => n.flags.includes('master'));
    const replicas = nodes.filter((n) => n.flags.includes('slave'));
    expect(primaries).toHaveLength(3);
    expect(replicas).toHaveLength(3);
    // Each replica follows a different primary.
    expect(new Set(replicas.map((r) => r.primaryId)).size).toBe(3);
    const covered = primaries.flatMap((p) => p.slots).reduce((sum, [from, to]) => sum + (to - from + 1), 0);
    expect(covered).toBe(SLOTS);
    expect((await cluster.primaries()).sort()).toEqual(primaries.map((p) => p.address).sort());
  });

  it('finds the primary of a key, and a replica takes over when that primary is SIGKILLed', async () => {
    const owner = await cluster.primaryOfKey('{some-client}');
    expect(cluster.nodes).toContain(owner);
    await cluster.kill(cluster.pidOf(owner));
    await cluster.waitForFailover(owner);
    const next = await cluster.primaryOfKey('{some-client}');
    expect(next).not.toBe(owner);
    expect(await cluster.primaries()).toHaveLength(3);
  }, 60_000);
});
