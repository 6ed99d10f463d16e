import type { RedisPairingStore } from '../../packages/server/src/redis.js';
import { useRedisStores } from '../support/redis-store-suite.js';
import { describeNodeLiveness } from './node-liveness.contract.js';

describeNodeLiveness<RedisPairingStore>('RedisPairingStore', () => {
  const redis = useRedisStores();
  return {
    ...redis,
    aliveKey: (store, nodeId) => `{${store.keyPrefix}}:alive:${nodeId}`,
    nodesKey: (store) => `{${store.keyPrefix}}:nodes`,
    nodeMembers: (store, nodeId) => redis.client().smembers(`{${store.keyPrefix}}:node:${nodeId}`),
  };
});
