import { describe } from '@jest/globals';
import { clusterRaceScenarios } from '../scenarios/cluster-races.scenarios.js';
import { useCluster } from '../support/cluster.js';

describe("cluster on one Redis with redis.store 'sharded': races decided under per-client locks", () => {
  clusterRaceScenarios(useCluster('races-sharded', { limits: { pairRequests: false }, redis: { store: 'sharded' } }));
});
