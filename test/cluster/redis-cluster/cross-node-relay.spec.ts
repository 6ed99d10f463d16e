import { describe } from '@jest/globals';
import { RELAY_ACK_TIMEOUT_MS, crossNodeRelayScenarios } from '../scenarios/cross-node-relay.scenarios.js';
import { useCluster } from '../support/cluster.js';

describe('cluster on a Redis Cluster (six processes, sharded pub/sub): relay across nodes', () => {
  crossNodeRelayScenarios(useCluster('relay-redis-cluster', { ackTimeoutMs: RELAY_ACK_TIMEOUT_MS }, 'redis-cluster'));
});
