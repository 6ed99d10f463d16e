import type { Redis } from 'ioredis';
import type { ClusterPairingStore } from './cluster-store.interface.js';
import type { P2pRedisOptions } from './redis-cluster.options.js';

/** What a cluster node needs beyond a single one: the shared store, the adapter, and how to let go of Redis. */
export interface ClusterSetup {
  store: ClusterPairingStore;
  /** Socket.IO adapter constructor for the gateway's server. */
  adapter: (namespace: unknown) => unknown;
  nodeTtlMs: number;
  /** Closes the Redis connections the setup opened. */
  close(): Promise<void>;
}

/**
 * Opens the Redis connections of a cluster node. `ioredis` and `@socket.io/redis-adapter` are optional peer
 * dependencies, loaded only here.
 */
export async function setupRedisCluster(options: P2pRedisOptions): Promise<ClusterSetup> {
  const [{ Redis: RedisClient }, adapters, { RedisPairingStore }] = await Promise.all([
    import('ioredis'),
    import('@socket.io/redis-adapter'),
    import('../stores/redis/index.js'),
  ]);
  const keyPrefix = options.keyPrefix ?? 'p2p';
  // Store commands fail fast while Redis is away, so clients get a code instead of a wait.
  const failFast = { enableOfflineQueue: false, maxRetriesPerRequest: 1 };
  const open = (overrides: object): Redis =>
    options.client
      ? options.client.duplicate(overrides)
      : new RedisClient(options.url ?? 'redis://127.0.0.1:6379', { lazyConnect: false, ...overrides });
  const storeClient = open(failFast);
  const pub = open({});
  const sub = open({});
  const clients = [storeClient, pub, sub];
  // An unhandled 'error' event would crash the process; ioredis reconnects by itself.
  for (const client of clients) client.on('error', () => undefined);
  for (const client of [pub, sub]) handleEveryCommand(client);
  await Promise.all(clients.map((client) => (client.status === 'ready' ? undefined : waitReady(client))));
  const adapter = options.sharded
    ? adapters.createShardedAdapter(pub, sub, { channelPrefix: `${keyPrefix}#sio`, subscriptionMode: 'dynamic-private' })
    : adapters.createAdapter(pub, sub, { key: `${keyPrefix}#sio` });
  return {
    store: new RedisPairingStore(storeClient, { keyPrefix }),
    adapter,
    nodeTtlMs: options.nodeTtlMs ?? 5_000,
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
    const timer = setTimeout(() => reject(new Error('P2pModule: Redis did not become ready within 10 s')), 10_000);
    client.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
