import { describe, expect } from '@jest/globals';
import { PartitionTable } from '../../../packages/server/src/stores/redis-sharded/partition.table.js';
import { LOST_WRITES_DEFAULTS, lostWritesScenarios } from '../scenarios/lost-writes.scenarios.js';
import { useCluster } from '../support/cluster.js';

describe("cluster on one Redis with redis.store 'sharded': records a failover lost are restored by their node", () => {
  const cluster = useCluster('lost-writes-sharded', { redis: { ...LOST_WRITES_DEFAULTS.redis, store: 'sharded' } });
  const table = new PartitionTable(cluster.keyPrefix, 64);
  lostWritesScenarios(cluster, async (_cluster, clientId) => {
    // The client's partition, its record and every index the sharded store keeps it in (see sharded.scripts.ts).
    const base = table.base(table.partitionOf(clientId));
    const raw = await cluster.redis().get(`${base}:c:${clientId}`);
    expect(raw).not.toBeNull();
    const { nodeId } = JSON.parse(raw!) as { nodeId: string };
    await expect(cluster.redis().del(`${base}:c:${clientId}`)).resolves.toBe(1);
    for (const index of ['order', 'free']) await cluster.redis().zrem(`${base}:${index}`, clientId);
    for (const index of ['asking', 'paired', `node:${nodeId}`]) await cluster.redis().srem(`${base}:${index}`, clientId);
  });
});
