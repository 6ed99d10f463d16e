import { describe } from '@jest/globals';
import { RELAY_ACK_TIMEOUT_MS, crossNodeRelayScenarios } from './scenarios/cross-node-relay.scenarios.js';
import { useCluster } from './support/cluster.js';

describe.each(['classic', 'sharded'] as const)('cluster, %s adapter: relay across nodes', (adapter) => {
  crossNodeRelayScenarios(
    useCluster(`relay-${adapter}`, { ackTimeoutMs: RELAY_ACK_TIMEOUT_MS, redis: { sharded: adapter === 'sharded' } }),
  );
});
