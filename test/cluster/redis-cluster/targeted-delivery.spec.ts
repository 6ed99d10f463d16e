import { describe } from '@jest/globals';
import { targetedDeliveryScenarios } from '../scenarios/targeted-delivery.scenarios.js';
import { useCluster } from '../support/cluster.js';

describe('cluster on a Redis Cluster (sharded pub/sub over the shards): targeted delivery', () => {
  targetedDeliveryScenarios(useCluster('targeted-redis-cluster', {}, 'redis-cluster'), true);
});
