import { Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { ClusterPairingStore } from './cluster-store.interface.js';
import { newNodeTag } from './node.address.js';
import { NodeChannel } from './node.channel.js';
import type { P2pRedisOptions, ResolvedClusterOptions } from '../options/redis-cluster.options.js';
import { loadRedisPackages } from './redis-packages.loader.js';
import { redisConnectionOpener } from './redis-connection.opener.js';

/** How long a node waits at start-up for its Redis connections to be ready. */
const READY_TIMEOUT_MS = 10_000;

const logger = new Logger('P2pModule');

/**
 * What a cluster node has beyond a single one, all live: the shared store, the adapter, this node's channel, and the
 * Redis connections behind them. Provided by P2pModule as `P2P_CLUSTER` (when `redis` is set); closes its connections
 * at application shutdown, after the gateway drained.
 */
export class ClusterSetup implements OnApplicationShutdown {
  constructor(
    readonly store: ClusterPairingStore,
    /** Socket.IO adapter constructor for the gateway's server (the host app's broadcasts and rooms across nodes). */
    readonly adapter: (namespace: unknown) => unknown,
    /** This node's own channel: messages other nodes address to it, and its way to address them. */
    readonly channel: NodeChannel,
    /** Whether Redis 7 sharded pub/sub is in use (as asked, or as the Redis answering at start allows). */
    readonly sharded: boolean,
    /** The Redis connections the setup opened (never a client the app gave: only its duplicates). */
    private readonly clients: RedisConnection[],
  ) {}

  /** Closes the Redis connections the setup opened. */
  close(): Promise<void> {
    return closeAll(this.clients);
  }

  onApplicationShutdown(): Promise<void> {
    return this.close();
  }
}

/**
 * Opens the Redis connections of a cluster node: the store's, one for publishing (node channels and the adapter), and
 * two subscribers (this node's channel, the adapter's). `ioredis` and `@socket.io/redis-adapter` are optional peer
 * dependencies, loaded only here (an error says what to install when they are missing). Start-up fails, naming where
 * Redis was looked for, when the connections are not ready within 10 s.
 */
export async function setupRedisCluster(options: P2pRedisOptions, resolved: ResolvedClusterOptions): Promise<ClusterSetup> {
  const { ioredis, adapter: adapters } = await loadRedisPackages();
  const { redisTarget, keyPrefix, commandTimeoutMs } = resolved;
  const open = redisConnectionOpener(ioredis, options, resolved.clusterNodes);
  const storeClient = open('store');
  const pub = open('publisher');
  const adapterSub = open('subscriber');
  const nodeSub = open('subscriber');
  const clients = [storeClient, pub, adapterSub, nodeSub];
  // An unhandled 'error' event would crash the process; ioredis reconnects by itself. The last one explains a start-up
  // that timed out; the first is told at once, with what start-up waits for and until when, rather than 10 s of silence.
  let lastError: Error | undefined;
  let starting = true;
  const readyBy = new Date(Date.now() + READY_TIMEOUT_MS);
  for (const client of clients) {
    client.on('error', (error: Error) => {
      if (starting && !lastError) logger.warn(waitingForRedisMessage(redisTarget, error, readyBy));
      lastError = error;
    });
  }
  for (const client of [pub, adapterSub, nodeSub]) handleEveryCommand(client);
  try {
    await Promise.all(clients.map((client) => (client.status === 'ready' ? undefined : waitReady(client))));
  } catch {
    starting = false;
    // Without this, ioredis would go on reconnecting and keep the failed process alive.
    for (const client of clients) client.disconnect();
    const why = lastError ? ` (last error: ${lastError.message})` : '';
    throw new Error(`P2pModule: Redis at ${redisTarget} did not become ready within ${READY_TIMEOUT_MS / 1000} s${why}`);
  }
  starting = false;
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
    const store = await createClusterStore(storeClient, { keyPrefix, commandTimeoutMs, store: resolved.store });
    return new ClusterSetup(store, adapter, channel, sharded, clients);
  } catch (error) {
    await closeAll(clients);
    throw error;
  }
}

/**
 * The one place the cluster's store is made: the ShardedRedisPairingStore (keys spread over the cluster's slots by
 * client, two-client changes under per-client locks), or the RedisPairingStore (every key under the hash tag
 * `{<keyPrefix>}`, one slot of one shard, each change one Lua script), as `redis.store` says.
 */
async function createClusterStore(
  storeClient: Redis,
  options: { keyPrefix: string; commandTimeoutMs: number; store: 'sharded' | 'single-slot' },
): Promise<ClusterPairingStore> {
  const { keyPrefix, commandTimeoutMs } = options;
  if (options.store === 'sharded') {
    const { ShardedRedisPairingStore } = await import('../stores/redis-sharded/sharded-pairing.store.js');
    return new ShardedRedisPairingStore(storeClient, { keyPrefix, commandTimeoutMs });
  }
  const { RedisPairingStore } = await import('../stores/redis/redis-pairing.store.js');
  return new RedisPairingStore(storeClient, { keyPrefix, commandTimeoutMs });
}

/** The warning at a cluster node's first failed attempt to reach Redis at start-up. */
export function waitingForRedisMessage(redisTarget: string, error: Error, readyBy: Date): string {
  return (
    `Redis at ${redisTarget} is not reachable yet (${error.message}): start-up waits for it to be ready, ` +
    `retrying, until ${readyBy.toISOString()} (${READY_TIMEOUT_MS / 1000} s), then fails`
  );
}

/** What closing uses of an ioredis connection (declared structurally: the server's declarations never import ioredis). */
interface RedisConnection {
  quit(): Promise<unknown>;
  disconnect(): void;
}

async function closeAll(clients: RedisConnection[]): Promise<void> {
  await Promise.all(clients.map((client) => client.quit().catch(() => client.disconnect())));
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
