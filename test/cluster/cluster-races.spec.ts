import { describe } from '@jest/globals';
import { clusterRaceScenarios } from './scenarios/cluster-races.scenarios.js';
import { useCluster } from './support/cluster.js';

describe('cluster: races decided atomically in Redis', () => {
  clusterRaceScenarios(useCluster('races', { limits: { pairRequests: false } }));
});
