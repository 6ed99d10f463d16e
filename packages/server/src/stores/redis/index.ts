export { RedisPairingStore, type RedisPairingStoreOptions } from './redis-pairing.store.js';
export { RedisStoreUnavailableError } from './redis-store-unavailable.error.js';
export type { P2pRedisOptions } from '../../options/redis-cluster.options.js';
