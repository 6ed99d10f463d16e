import { afterAll, beforeAll } from '@jest/globals';
import type { Redis, RedisOptions } from 'ioredis';
import {
  ShardedRedisPairingStore,
  type ShardedRedisPairingStoreOptions,
} from '../../packages/server/src/stores/redis-sharded/sharded-pairing.store.js';
import type { ShardedStoreHooks } from '../../packages/server/src/stores/redis-sharded/client.transaction.js';
import { connectTestRedis, deleteKeysOf, keysOf, uniqueKeyPrefix } from './redis.js';

/** Every key of a sharded store (all are `{<prefix>:<tag>}...`). */
export function shardedKeysOf(client: Redis, keyPrefix: string): Promise<string[]> {
  return keysOf(client, keyPrefix, true);
}

export interface ShardedStoreSuite {
  client(): Redis;
  connection(options?: RedisOptions): Promise<Redis>;
  store(keyPrefix?: string, client?: Redis, options?: ShardedRedisPairingStoreOptions, hooks?: ShardedStoreHooks): ShardedRedisPairingStore;
  cleanup(store: ShardedRedisPairingStore): Promise<void>;
}

/** As useRedisStores, for ShardedRedisPairingStore on the standalone test Redis. */
export function useShardedStores(): ShardedStoreSuite {
  let shared: Redis | undefined;
  const extra: Redis[] = [];
  const prefixes = new Set<string>();
  beforeAll(async () => {
    shared = await connectTestRedis();
  });
  afterAll(async () => {
    if (shared?.status === 'ready') for (const prefix of prefixes) await deleteKeysOf(shared, prefix);
    const open = [shared, ...extra].filter((client) => client !== undefined && client.status !== 'end');
    await Promise.all(open.map((client) => client!.quit().catch(() => client!.disconnect())));
  });
  const client = (): Redis => {
    if (!shared) throw new Error('Redis suite: not connected (see the beforeAll failure above)');
    return shared;
  };
  return {
    client,
    async connection(options) {
      const connection = await connectTestRedis(options);
      extra.push(connection);
      return connection;
    },
    store(keyPrefix = uniqueKeyPrefix('sharded'), redis = client(), options = {}, hooks) {
      prefixes.add(keyPrefix);
      return new ShardedRedisPairingStore(redis, { keyPrefix, ...options }, hooks);
    },
    async cleanup(store) {
      await deleteKeysOf(client(), store.keyPrefix);
      prefixes.delete(store.keyPrefix);
    },
  };
}
