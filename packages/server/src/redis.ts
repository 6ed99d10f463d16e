export { RedisPairingStore, type RedisPairingStoreOptions } from './stores/redis/redis-pairing.store.js';
export { RedisStoreUnavailableError } from './stores/redis/redis-store-unavailable.error.js';
export type { P2pRedisOptions } from './options/redis-cluster.options.js';
export { ShardedRedisPairingStore, type ShardedRedisPairingStoreOptions } from './stores/redis-sharded/sharded-pairing.store.js';
