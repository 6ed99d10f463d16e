/**
 * A child process that starts one two-client operation on a ShardedRedisPairingStore and stops in its middle, for the
 * parent to SIGKILL it there (a gateway node dying mid-operation). argv: redis url, keyPrefix, lockTtlMs, the point to
 * stop at ('afterLocks' | 'betweenHalves'), the operation ('reserve' | 'confirm' | 'unpair'), then the clientIds and the
 * requestId. Prints `paused` when held at that point, then waits to be killed.
 */
import { Redis } from 'ioredis';
import { ShardedRedisPairingStore } from '../../../packages/server/src/stores/redis-sharded/sharded-pairing.store.js';
import type { ShardedStoreHooks } from '../../../packages/server/src/stores/redis-sharded/client.transaction.js';

const [url, keyPrefix, lockTtlMs, point, operation, sourceId, targetId, requestId] = process.argv.slice(2) as [
  string,
  string,
  string,
  keyof ShardedStoreHooks,
  string,
  string,
  string,
  string,
];
const pause = async (): Promise<void> => {
  process.stdout.write('paused\n');
  await new Promise(() => undefined);
};
const store = new ShardedRedisPairingStore(new Redis(url), { keyPrefix, lockTtlMs: Number(lockTtlMs) }, { [point]: pause });
const request = { requestId, sourceId, targetId };
if (operation === 'reserve') await store.reservePairing(request);
else if (operation === 'confirm') await store.confirmPairing(request);
else await store.unpair(sourceId);
process.stdout.write('finished\n');
