import { afterAll, beforeAll } from '@jest/globals';
import type { Redis, RedisOptions } from 'ioredis';
import { RedisPairingStore } from '../../packages/server/src/redis.js';
import { connectTestRedis, deleteKeysOf, uniqueKeyPrefix } from './redis.js';

export interface StoreSuite<S extends { keyPrefix: string }, A extends unknown[] = []> {
  /** The suite's shared connection (connected in beforeAll). */
  client(): Redis;
  /** Another connection, closed in afterAll: a second gateway node's view of the same Redis. */
  connection(options?: RedisOptions): Promise<Redis>;
  /** An empty store under a prefix of its own; pass a prefix to get a second view of a store made before. */
  store(keyPrefix?: string, client?: Redis, ...rest: A): S;
  /** Deletes the keys of a store made here. */
  cleanup(store: S): Promise<void>;
}

export type RedisStoreSuite = StoreSuite<RedisPairingStore>;

/** Registers beforeAll/afterAll hooks in the calling describe block: connects (or fails clearly) and closes all. */
export function useRedisStores(): RedisStoreSuite {
  return useStoreSuite('test', (redis, keyPrefix) => new RedisPairingStore(redis, { keyPrefix }));
}

/**
 * The hooks and helpers of a suite of Redis-backed stores made by `make` (one store kind): stores under prefixes of
 * their own on the standalone test Redis, their keys deleted and every connection closed after all.
 */
export function useStoreSuite<S extends { keyPrefix: string }, A extends unknown[]>(
  label: string,
  make: (redis: Redis, keyPrefix: string, ...rest: A) => S,
): StoreSuite<S, A> {
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
    store(keyPrefix = uniqueKeyPrefix(label), redis = client(), ...rest) {
      prefixes.add(keyPrefix);
      return make(redis, keyPrefix, ...rest);
    },
    async cleanup(store) {
      await deleteKeysOf(client(), store.keyPrefix);
      prefixes.delete(store.keyPrefix);
    },
  };
}
