import type * as IoRedis from 'ioredis';
import type { Redis } from 'ioredis';
import type { P2pRedisOptions, RedisNodeAddress } from '../options/redis-cluster.options.js';
import { DEFAULT_REDIS_URL } from '../options/redis.target.js';

/**
 * What a connection of a cluster node is for: the store's commands (fail fast while Redis is away), publishing (node
 * channels, adapter), or subscribing (one for this node's channel, one for the adapter).
 */
export type RedisConnectionRole = 'store' | 'publisher' | 'subscriber';

/**
 * Store commands fail fast while Redis is away, so clients get a code instead of a wait; the store and the node channel
 * bound every call (commandTimeoutMs), so a Redis that hangs does too.
 */
const FAIL_FAST = { enableOfflineQueue: false, maxRetriesPerRequest: 1 };

/**
 * Opens the connections of a cluster node, one per call, as `redis` says: a new `Redis` on `url`, a duplicate of the
 * app's `client` (never the client itself), or a new ioredis `Cluster` on the `cluster` nodes. Typed as `Redis`: a
 * `Cluster` offers the same commands, events and `status` the setup uses.
 *
 * On a Redis Cluster every connection is a `Cluster` object of its own: ioredis 5.11's `Cluster.duplicate()` takes no
 * per-connection overrides the way `Redis.duplicate()` does. The subscribing ones need `shardedSubscribers`: without
 * it an SSUBSCRIBE to a channel whose slot lives on another shard is never answered and the `Cluster` passes no
 * `smessage` events on (ioredis #1759).
 */
export function redisConnectionOpener(
  ioredis: typeof IoRedis,
  options: P2pRedisOptions,
  clusterNodes: RedisNodeAddress[] | undefined,
): (role: RedisConnectionRole) => Redis {
  if (clusterNodes) return (role) => openClusterConnection(ioredis, clusterNodes, options.clusterOptions ?? {}, role);
  const { client, url } = options;
  return (role) => {
    const overrides = role === 'store' ? FAIL_FAST : {};
    return client
      ? (client.duplicate(overrides) as Redis)
      : new ioredis.Redis(url ?? DEFAULT_REDIS_URL, { lazyConnect: false, ...overrides });
  };
}

function openClusterConnection(
  ioredis: typeof IoRedis,
  nodes: RedisNodeAddress[],
  given: Record<string, unknown>,
  role: RedisConnectionRole,
): Redis {
  const givenRedisOptions = (given.redisOptions ?? {}) as Record<string, unknown>;
  const own =
    role === 'store'
      ? { enableOfflineQueue: false, redisOptions: { ...givenRedisOptions, maxRetriesPerRequest: FAIL_FAST.maxRetriesPerRequest } }
      : role === 'subscriber'
        ? { shardedSubscribers: true, redisOptions: givenRedisOptions }
        : { redisOptions: givenRedisOptions };
  const cluster = new ioredis.Cluster(
    nodes.map(({ host, port }) => ({ host, port })),
    { ...given, ...own },
  );
  return cluster as unknown as Redis;
}
