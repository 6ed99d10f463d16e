import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { type Cluster, Redis, type RedisOptions } from 'ioredis';
import { redactRedisUrl } from '../../packages/server/src/options/redis.target.js';

/** Where the Redis suites find Redis: env REDIS_URL, else the local default. */
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

const HOW_TO_START =
  'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no ' +
  '--dir /var/lib/redis --logfile /var/log/redis/ci.log (Debian package: redis-server; or set REDIS_URL)';

/**
 * A connected client for tests, or an error that says what the suite needs: a Redis suite fails, never skips, when
 * Redis is not there.
 */
export async function connectTestRedis(options: RedisOptions = {}): Promise<Redis> {
  const client = new Redis(REDIS_URL, {
    lazyConnect: true,
    connectTimeout: 2000,
    maxRetriesPerRequest: 2,
    retryStrategy: (attempt) => (attempt > 5 ? null : 100),
    // ioredis arms this timer on every disconnect(), even of a socket closed already; keep it from holding Jest open.
    disconnectTimeout: 50,
    ...options,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
    return client;
  } catch (cause) {
    client.disconnect();
    throw new Error(
      `The Redis suite needs Redis at ${redactRedisUrl(REDIS_URL)} (127.0.0.1:6379 unless REDIS_URL says otherwise), ` +
        `and could not reach it (${(cause as Error).message}). Start it with: ${HOW_TO_START}`,
    );
  }
}

/** A key prefix no other test or run uses. */
export function uniqueKeyPrefix(label = 'test'): string {
  return `p2p-${label}-${randomUUID()}`;
}

/**
 * Every key of the store with this prefix (all are `{<prefix>}...`), through SCAN. On a Redis Cluster, the keys of
 * every primary. `anywhere` also finds keys whose hash tag holds more than the prefix (a store tagged per client).
 */
export async function keysOf(client: Redis | Cluster, keyPrefix: string, anywhere = false): Promise<string[]> {
  const escaped = keyPrefix.replace(/[?*[\]\\]/g, '\\$&');
  const pattern = anywhere ? `*${escaped}*` : `{${escaped}}*`;
  const keys: string[] = [];
  const nodes = isCluster(client) ? await primariesOf(client) : [client];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, batch] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      keys.push(...batch);
      cursor = next;
    } while (cursor !== '0');
  }
  return keys;
}

/** Deletes every key that names the prefix; on a Redis Cluster one key at a time (a DEL's keys must share a slot). */
export async function deleteKeysOf(client: Redis | Cluster, keyPrefix: string): Promise<void> {
  const keys = await keysOf(client, keyPrefix, true);
  if (isCluster(client)) {
    for (let i = 0; i < keys.length; i += 500) await Promise.all(keys.slice(i, i + 500).map((key) => client.del(key)));
    return;
  }
  for (let i = 0; i < keys.length; i += 500) await client.del(...keys.slice(i, i + 500));
}

/** The primaries of a Redis Cluster as they are now: a failover promoted a replica that ioredis may not list yet. */
async function primariesOf(cluster: Cluster): Promise<Redis[]> {
  await new Promise<void>((resolve, reject) => cluster.refreshSlotsCache((error) => (error ? reject(error) : resolve())));
  return cluster.nodes('master').filter((node) => !['close', 'end'].includes(node.status));
}

export function isCluster(client: Redis | Cluster): client is Cluster {
  return (client as Cluster).isCluster === true;
}

/** A TCP port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
