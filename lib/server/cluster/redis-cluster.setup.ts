import type { Redis } from 'ioredis';
import type { ClusterPairingStore } from './cluster-store.interface.js';
import type { P2pRedisOptions } from './redis-cluster.options.js';
import { loadRedisPackages } from './redis-packages.js';
import { DEFAULT_REDIS_URL, describeRedisTarget } from './redis-target.js';

/** How long a node waits at start-up for its Redis connections to be ready. */
const READY_TIMEOUT_MS = 10_000;

/** What a cluster node needs beyond a single one: the shared store, the adapter, and how to let go of Redis. */
export interface ClusterSetup {
  store: ClusterPairingStore;
  /** Socket.IO adapter constructor for the gateway's server. */
  adapter: (namespace: unknown) => unknown;
  nodeTtlMs: number;
  /** Where Redis is, for logs: the URL with its password hidden, or the given client's host and port. */
  redisTarget: string;
  keyPrefix: string;
  sharded: boolean;
  /** Closes the Redis connections the setup opened. */
  close(): Promise<void>;
}

/**
 * Opens the Redis connections of a cluster node. `ioredis` and `@socket.io/redis-adapter` are optional peer
 * dependencies, loaded only here (an error says what to install when they are missing). Start-up fails, naming where
 * Redis was looked for, when the connections are not ready within 10 s.
 */
export async function setupRedisCluster(options: P2pRedisOptions): Promise<ClusterSetup> {
  const { ioredis, adapter: adapters } = await loadRedisPackages();
  const { RedisPairingStore } = await import('../stores/redis/index.js');
  const RedisClient = ioredis.Redis;
  const redisTarget = describeRedisTarget(options);
  const keyPrefix = options.keyPrefix ?? 'p2p';
  // Store commands fail fast while Redis is away, so clients get a code instead of a wait.
  const failFast = { enableOfflineQueue: false, maxRetriesPerRequest: 1 };
  const open = (overrides: object): Redis =>
    options.client
      ? (options.client.duplicate(overrides) as Redis)
      : new RedisClient(options.url ?? DEFAULT_REDIS_URL, { lazyConnect: false, ...overrides });
  const storeClient = open(failFast);
  const pub = open({});
  const sub = open({});
  const clients = [storeClient, pub, sub];
  // An unhandled 'error' event would crash the process; ioredis reconnects by itself. The last one explains a start-up
  // that timed out.
  let lastError: Error | undefined;
  for (const client of clients) client.on('error', (error: Error) => (lastError = error));
  for (const client of [pub, sub]) handleEveryCommand(client);
  try {
    await Promise.all(clients.map((client) => (client.status === 'ready' ? undefined : waitReady(client))));
  } catch {
    // Without this, ioredis would go on reconnecting and keep the failed process alive.
    for (const client of clients) client.disconnect();
    const why = lastError ? ` (last error: ${lastError.message})` : '';
    throw new Error(`P2pModule: Redis at ${redisTarget} did not become ready within ${READY_TIMEOUT_MS / 1000} s${why}`);
  }
  const adapter = options.sharded
    ? adapters.createShardedAdapter(pub, sub, { channelPrefix: `${keyPrefix}#sio`, subscriptionMode: 'dynamic-private' })
    : adapters.createAdapter(pub, sub, { key: `${keyPrefix}#sio` });
  return {
    store: new RedisPairingStore(storeClient, { keyPrefix }),
    adapter,
    nodeTtlMs: options.nodeTtlMs ?? 5_000,
    redisTarget,
    keyPrefix,
    sharded: options.sharded === true,
    async close() {
      await Promise.all(clients.map((client) => client.quit().catch(() => client.disconnect())));
    },
  };
}

/**
 * The adapter fires most of its commands (PUBLISH, SSUBSCRIBE, SUNSUBSCRIBE, ...) without handling their promises.
 * While Redis is away ioredis queues them and, after `maxRetriesPerRequest` reconnection attempts (about 10 s), rejects
 * them all: unhandled, those rejections would crash the process. Every command of these two connections gets a
 * handler; whoever awaits a command still sees its rejection.
 */
function handleEveryCommand(client: Redis): void {
  const send = client.sendCommand.bind(client);
  client.sendCommand = ((...args: Parameters<Redis['sendCommand']>) => {
    const sent = send(...args);
    if (sent instanceof Promise) sent.catch(() => undefined);
    return sent;
  }) as Redis['sendCommand'];
}

function waitReady(client: Redis): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('not ready')), READY_TIMEOUT_MS);
    client.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
