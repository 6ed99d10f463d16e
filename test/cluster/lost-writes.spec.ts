import { describe, expect } from '@jest/globals';
import { LOST_WRITES_DEFAULTS, lostWritesScenarios } from './scenarios/lost-writes.scenarios.js';
import { useCluster } from './support/cluster.js';

describe('cluster: records a Redis failover lost (asynchronous replication) are restored by their node', () => {
  const cluster = useCluster('lost-writes', LOST_WRITES_DEFAULTS);
  lostWritesScenarios(cluster, async (_cluster, clientId) => {
    const base = `{${cluster.keyPrefix}}`;
    await expect(cluster.redis().del(`${base}:c:${clientId}`)).resolves.toBe(1);
    for (const index of ['order', 'free']) await cluster.redis().zrem(`${base}:${index}`, clientId);
    await cluster.redis().srem(`${base}:paired`, clientId);
  });
});
