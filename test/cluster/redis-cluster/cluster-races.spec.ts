import { describe } from '@jest/globals';
import { clusterRaceScenarios } from '../scenarios/cluster-races.scenarios.js';
import { useCluster } from '../support/cluster.js';

describe('cluster on a Redis Cluster: races decided atomically in the store', () => {
  clusterRaceScenarios(useCluster('races-redis-cluster', { limits: { pairRequests: false } }, 'redis-cluster'));
});
