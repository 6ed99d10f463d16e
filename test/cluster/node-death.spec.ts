import { describe } from '@jest/globals';
import { NODE_DEATH_DEFAULTS, nodeDeathScenarios } from './scenarios/node-death.scenarios.js';
import { useCluster } from './support/cluster.js';

describe('cluster: a node dies without warning', () => {
  nodeDeathScenarios(useCluster('death', NODE_DEATH_DEFAULTS));
});
