import type * as IoRedis from 'ioredis';
import type * as RedisAdapter from '@socket.io/redis-adapter';
import { loadOptionalPackage } from '../options/optional-package.loader.js';

/** The optional peer dependencies the `redis` option needs, loaded only when it is used. */
export interface RedisPackages {
  ioredis: typeof IoRedis;
  adapter: typeof RedisAdapter;
}

/** Loads ioredis and @socket.io/redis-adapter, or says which one is missing and what to install. */
export async function loadRedisPackages(): Promise<RedisPackages> {
  const [ioredis, adapter] = await Promise.all([
    loadOptionalPackage<typeof IoRedis>('ioredis'),
    loadOptionalPackage<typeof RedisAdapter>('@socket.io/redis-adapter'),
  ]);
  return { ioredis, adapter };
}
