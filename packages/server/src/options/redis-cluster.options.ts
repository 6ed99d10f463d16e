import { describeRedisTarget } from './redis.target.js';

/**
 * What the module uses of an ioredis client given as `redis.client`: an ioredis `Redis` fits. Declared here rather than
 * imported, so the server's type declarations do not need ioredis for apps that never use Redis.
 */
export interface P2pRedisClient {
  duplicate(override?: object): unknown;
}

/** `P2pModule.forRoot({ redis })`: run the gateway as one node of a cluster sharing state over Redis. */
export interface P2pRedisOptions {
  /**
   * Where Redis is, when neither `client` nor `cluster` is given. At most one of `url`, `client` and `cluster`.
   * @default 'redis://127.0.0.1:6379'
   */
  url?: string | undefined;
  /**
   * A Redis Cluster, as some of its nodes (`'host:port'`, `'[::1]:7000'` for IPv6): every connection is an ioredis
   * `Cluster` that finds the rest. Messages between nodes and the adapter always use sharded pub/sub there (each
   * channel lives on the shard of its slot). At most one of `url`, `client` and `cluster`.
   */
  cluster?: readonly string[] | undefined;
  /**
   * With `cluster`: more ioredis `ClusterOptions` (say `redisOptions: { password }`, `natMap`, `tls` in `redisOptions`),
   * under the module's own (it sets `enableOfflineQueue` and `maxRetriesPerRequest` for the store's connection and
   * `shardedSubscribers` for the subscribing ones).
   */
  clusterOptions?: Record<string, unknown> | undefined;
  /**
   * An ioredis client (say, from DI through forRootAsync). The module only duplicates it (for the store, the
   * publishing connection and the two subscribing ones) and never closes it.
   */
  client?: P2pRedisClient | undefined;
  /**
   * How the pairing store lays out its keys. `'sharded'`: clients hashed onto 64 partitions, each a hash tag of its own
   * spread over the cluster's slots, so the store's load spreads over the shards; what spans two clients runs under
   * per-client locks (docs/cluster.md, "The store sharded by client"). `'single-slot'`: every key under one hash tag
   * `{<keyPrefix>}`, each change one Lua script (one slot, one shard). Both work on one Redis and on a Redis Cluster.
   * @default 'sharded' with `cluster`, else 'single-slot'
   */
  store?: 'sharded' | 'single-slot' | undefined;
  /**
   * Prefix of every key and channel, so several gateways can share one Redis.
   * @default 'p2p'
   */
  keyPrefix?: string | undefined;
  /**
   * Messages between nodes always go to the one node they concern, on a channel of its own. `true` sends them with
   * Redis 7 sharded pub/sub (`SPUBLISH`; on a Redis Cluster each node's channel lives on one shard, so pub/sub scales
   * with the shards) and attaches the adapter's `createShardedAdapter`; `false` uses `PUBLISH` and the classic
   * `createAdapter`, for Redis older than 7. `true` on an older Redis fails at start.
   * @default true when the Redis answering at start is 7 or newer, else false
   */
  sharded?: boolean | undefined;
  /**
   * A node not heard from for this long is dead: its clients are removed and their peers on other nodes get
   * `P2P_DISCONNECT(clientId, 'DISCONNECTED')`. Dead nodes are swept within about 1.2 × this.
   * @default 5000
   */
  nodeTtlMs?: number | undefined;
  /**
   * Longest wait for Redis to answer one command (store scripts and reads, heartbeats, publishes). A Redis that hangs
   * rather than refusing turns into STORE_UNAVAILABLE after this; the connection stays, and the next command that gets
   * an answer means Redis is back.
   * @default 1500
   */
  commandTimeoutMs?: number | undefined;
  /**
   * Longest a shutting-down node waits for the store to record its clients' departures (the drain, see docs/cluster.md)
   * before it lets go of Redis anyway.
   * @default 5000
   */
  drainTimeoutMs?: number | undefined;
}

/**
 * The `redis` option with its defaults applied, as plain data (no client, nothing live): what a cluster node reads.
 * The Redis connections themselves are the cluster setup's (`P2P_CLUSTER`, redis-cluster.setup.ts).
 */
export interface ResolvedClusterOptions {
  keyPrefix: string;
  /** The seed nodes of a Redis Cluster (`redis.cluster`), or undefined for one Redis. */
  clusterNodes: RedisNodeAddress[] | undefined;
  /** Where Redis is, for logs: the URL with its password hidden, or the given client's host and port. */
  redisTarget: string;
  /** The store's key layout (`redis.store` with its default). */
  store: 'sharded' | 'single-slot';
  /** As given: undefined means "sharded when the Redis answering at start is 7 or newer". */
  sharded: boolean | undefined;
  nodeTtlMs: number;
  commandTimeoutMs: number;
  drainTimeoutMs: number;
}

export const DEFAULT_COMMAND_TIMEOUT_MS = 1_500;

/** One node of a Redis Cluster, as `redis.cluster` names it. */
export interface RedisNodeAddress {
  host: string;
  port: number;
}

export function resolveClusterOptions(options: P2pRedisOptions): ResolvedClusterOptions {
  const given = (['url', 'client', 'cluster'] as const).filter((name) => options[name] !== undefined);
  if (given.length > 1) {
    throw new TypeError(`P2pModule: redis takes one of url, client and cluster, got ${given.join(' and ')}`);
  }
  const clusterNodes = options.cluster === undefined ? undefined : parseClusterNodes(options.cluster);
  if (clusterNodes && options.sharded === false) {
    throw new TypeError('P2pModule: redis.sharded cannot be false with redis.cluster: a Redis Cluster uses sharded pub/sub');
  }
  if (options.clusterOptions !== undefined && !clusterNodes) {
    throw new TypeError('P2pModule: redis.clusterOptions only goes with redis.cluster');
  }
  if (options.store !== undefined && options.store !== 'sharded' && options.store !== 'single-slot') {
    throw new TypeError(`P2pModule: redis.store is 'sharded' or 'single-slot', got ${JSON.stringify(options.store)}`);
  }
  return {
    keyPrefix: options.keyPrefix ?? 'p2p',
    store: options.store ?? (clusterNodes ? 'sharded' : 'single-slot'),
    clusterNodes,
    redisTarget: clusterNodes ? describeClusterTarget(clusterNodes) : describeRedisTarget(options),
    sharded: clusterNodes ? true : options.sharded,
    nodeTtlMs: options.nodeTtlMs ?? 5_000,
    commandTimeoutMs: positive('commandTimeoutMs', options.commandTimeoutMs, DEFAULT_COMMAND_TIMEOUT_MS),
    drainTimeoutMs: positive('drainTimeoutMs', options.drainTimeoutMs, 5_000),
  };
}

/** `['host:port', '[::1]:7000']` -> addresses, or a TypeError naming the entry that is not one. */
export function parseClusterNodes(nodes: readonly string[]): RedisNodeAddress[] {
  if (!Array.isArray(nodes) || nodes.length === 0) {
    throw new TypeError("P2pModule: redis.cluster must be a non-empty array of 'host:port' strings");
  }
  return nodes.map((node: unknown) => {
    const match = typeof node === 'string' ? /^(?:\[([^\]]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(node.trim()) : null;
    const port = Number(match?.[3]);
    if (!match || port < 1 || port > 65_535) {
      throw new TypeError(`P2pModule: redis.cluster entries are 'host:port' (IPv6 as '[::1]:7000'), got ${JSON.stringify(node)}`);
    }
    return { host: match[1] ?? match[2]!, port };
  });
}

/** `Cluster 10.0.0.1:7000, 10.0.0.2:7000` (logged as "Redis Cluster ..."): the seed nodes (no credential is ever part of them). */
function describeClusterTarget(nodes: RedisNodeAddress[]): string {
  const addresses = nodes.map(({ host, port }) => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`));
  return `Cluster ${addresses.join(', ')}`;
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) throw new TypeError(`P2pModule: redis.${name} must be a positive number of ms, got ${value}`);
  return value;
}
