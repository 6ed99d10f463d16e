import type { Redis } from 'ioredis';
import type { ClusterPairingStore } from './cluster-store.interface.js';
import { newNodeTag } from './node.address.js';
import { NodeChannel } from './node.channel.js';
import type { P2pRedisOptions } from './redis-cluster.options.js';
import { loadRedisPackages } from './redis-packages.loader.js';
import { DEFAULT_REDIS_URL, describeRedisTarget } from './redis.target.js';

/** How long a node waits at start-up for its Redis connections to be ready. */
const READY_TIMEOUT_MS = 10_000;

/** What a cluster node needs beyond a single one: the shared store, the adapter, and how to let go of Redis. */
export interface ClusterSetup {
  store: ClusterPairingStore;
  /** Socket.IO adapter constructor for the gateway's server (the host app's broadcasts and rooms across nodes). */
  adapter: (namespace: unknown) => unknown;
  /** This node's own channel: messages other nodes address to it, and its way to address them. */
  channel: NodeChannel;
  /** Whether Redis 7 sharded pub/sub is in use. */
  sharded: boolean;
  nodeTtlMs: number;
  drainTimeoutMs: number;
  /** Where Redis is, for logs: the URL with its password hidden, or the given client's host and port. */
  redisTarget: string;
  keyPrefix: string;
  /** Closes the Redis connections the setup opened. */
  close(): Promise<void>;
}

export const DEFAULT_COMMAND_TIMEOUT_MS = 1_500;

/**
 * Opens the Redis connections of a cluster node: the store's, one for publishing (node channels and the adapter), and
 * two subscribers (this node's channel, the adapter's). `ioredis` and `@socket.io/redis-adapter` are optional peer
 * dependencies, loaded only here (an error says what to install when they are missing). Start-up fails, naming where
 * Redis was looked for, when the connections are not ready within 10 s.
 */
export async function setupRedisCluster(options: P2pRedisOptions): Promise<ClusterSetup> {
  const { ioredis, adapter: adapters } = await loadRedisPackages();
  const { RedisPairingStore } = await import('../stores/redis/index.js');
  const RedisClient = ioredis.Redis;
  const redisTarget = describeRedisTarget(options);
  const keyPrefix = options.keyPrefix ?? 'p2p';
  const commandTimeoutMs = positive('commandTimeoutMs', options.commandTimeoutMs, DEFAULT_COMMAND_TIMEOUT_MS);
  const drainTimeoutMs = positive('drainTimeoutMs', options.drainTimeoutMs, 5_000);
  // Store commands fail fast while Redis is away, so clients get a code instead of a wait; the store and the node
  // channel bound every call (commandTimeoutMs), so a Redis that hangs does too.
  const failFast = { enableOfflineQueue: false, maxRetriesPerRequest: 1 };
  const open = (overrides: object): Redis =>
    options.client
      ? (options.client.duplicate(overrides) as Redis)
      : new RedisClient(options.url ?? DEFAULT_REDIS_URL, { lazyConnect: false, ...overrides });
  const storeClient = open(failFast);
  const pub = open({});
  const adapterSub = open({});
  const nodeSub = open({});
  const clients = [storeClient, pub, adapterSub, nodeSub];
  const close = async () => {
    await Promise.all(clients.map((client) => client.quit().catch(() => client.disconnect())));
  };
  // An unhandled 'error' event would crash the process; ioredis reconnects by itself. The last one explains a start-up
  // that timed out.
  let lastError: Error | undefined;
  for (const client of clients) client.on('error', (error: Error) => (lastError = error));
  for (const client of [pub, adapterSub, nodeSub]) handleEveryCommand(client);
  try {
    await Promise.all(clients.map((client) => (client.status === 'ready' ? undefined : waitReady(client))));
  } catch {
    // Without this, ioredis would go on reconnecting and keep the failed process alive.
    for (const client of clients) client.disconnect();
    const why = lastError ? ` (last error: ${lastError.message})` : '';
    throw new Error(`P2pModule: Redis at ${redisTarget} did not become ready within ${READY_TIMEOUT_MS / 1000} s${why}`);
  }
  try {
    const major = Number(/redis_version:(\d+)/.exec(await pub.info('server'))?.[1] ?? 0);
    if (options.sharded === true && major < 7) {
      throw new Error(
        `P2pModule: redis.sharded needs Redis 7 or newer (sharded pub/sub); the one at ${redisTarget} is ${major || 'unknown'}`,
      );
    }
    const sharded = options.sharded ?? major >= 7;
    const channel = new NodeChannel(pub, nodeSub, { keyPrefix, tag: newNodeTag(), sharded, publishTimeoutMs: commandTimeoutMs });
    await channel.open();
    const adapter = sharded
      ? adapters.createShardedAdapter(pub, adapterSub, { channelPrefix: `${keyPrefix}#sio`, subscriptionMode: 'dynamic' })
      : adapters.createAdapter(pub, adapterSub, { key: `${keyPrefix}#sio` });
    return {
      store: new RedisPairingStore(storeClient, { keyPrefix, commandTimeoutMs }),
      adapter,
      channel,
      sharded,
      nodeTtlMs: options.nodeTtlMs ?? 5_000,
      drainTimeoutMs,
      redisTarget,
      keyPrefix,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) throw new TypeError(`P2pModule: redis.${name} must be a positive number of ms, got ${value}`);
  return value;
}

/**
 * The adapter fires most of its commands (PUBLISH, SSUBSCRIBE, SUNSUBSCRIBE, ...) without handling their promises.
 * While Redis is away ioredis queues them and, after `maxRetriesPerRequest` reconnection attempts (about 10 s), rejects
 * them all: unhandled, those rejections would crash the process. Every command of these connections gets a handler;
 * whoever awaits a command still sees its rejection.
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
