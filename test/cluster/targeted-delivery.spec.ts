import { describe } from '@jest/globals';
import { targetedDeliveryScenarios } from './scenarios/targeted-delivery.scenarios.js';
import { useCluster } from './support/cluster.js';

describe.each([
  ['sharded pub/sub (the default on Redis 7)', undefined],
  ['classic pub/sub (the fallback for Redis < 7)', false],
] as const)('cluster, %s: targeted delivery', (_label, sharded) => {
  const cluster = useCluster(`targeted-${sharded === false ? 'classic' : 'default'}`, sharded === false ? { redis: { sharded } } : {});
  targetedDeliveryScenarios(cluster, sharded !== false);
});
