export { RedisPairingStore, type RedisPairingStoreOptions } from './redis-pairing.store.js';
export { RedisStoreUnavailableError } from './redis-store-unavailable.error.js';
