import { describe } from '@jest/globals';
import { NODE_DEATH_DEFAULTS, nodeDeathScenarios } from '../scenarios/node-death.scenarios.js';
import { useCluster } from '../support/cluster.js';

describe('cluster on a Redis Cluster: a gateway node dies without warning', () => {
  nodeDeathScenarios(useCluster('death-redis-cluster', NODE_DEATH_DEFAULTS, 'redis-cluster'));
});
