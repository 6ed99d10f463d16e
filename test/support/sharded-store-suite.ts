import type { Redis } from 'ioredis';
import {
  ShardedRedisPairingStore,
  type ShardedRedisPairingStoreOptions,
} from '../../packages/server/src/stores/redis-sharded/sharded-pairing.store.js';
import type { ShardedStoreHooks } from '../../packages/server/src/stores/redis-sharded/client.transaction.js';
import { keysOf } from './redis.js';
import { type StoreSuite, useStoreSuite } from './redis-store-suite.js';

/** Every key of a sharded store (all are `{<prefix>:<tag>}...`). */
export function shardedKeysOf(client: Redis, keyPrefix: string): Promise<string[]> {
  return keysOf(client, keyPrefix, true);
}

export type ShardedStoreSuite = StoreSuite<
  ShardedRedisPairingStore,
  [options?: ShardedRedisPairingStoreOptions, hooks?: ShardedStoreHooks]
>;

/** As useRedisStores, for ShardedRedisPairingStore on the standalone test Redis. */
export function useShardedStores(): ShardedStoreSuite {
  return useStoreSuite(
    'sharded',
    (redis: Redis, keyPrefix: string, options: ShardedRedisPairingStoreOptions = {}, hooks?: ShardedStoreHooks) =>
      new ShardedRedisPairingStore(redis, { keyPrefix, ...options }, hooks),
  );
}
