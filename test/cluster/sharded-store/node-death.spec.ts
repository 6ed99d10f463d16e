import { describe } from '@jest/globals';
import { NODE_DEATH_DEFAULTS, nodeDeathScenarios } from '../scenarios/node-death.scenarios.js';
import { useCluster } from '../support/cluster.js';

describe("cluster on one Redis with redis.store 'sharded': a node dies without warning", () => {
  nodeDeathScenarios(useCluster('death-sharded', { ...NODE_DEATH_DEFAULTS, redis: { store: 'sharded' } }));
});
