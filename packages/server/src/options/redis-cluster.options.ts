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
   * Where Redis is, when no `client` is given.
   * @default 'redis://127.0.0.1:6379'
   */
  url?: string | undefined;
  /**
   * An ioredis client (say, from DI through forRootAsync). The module only duplicates it (for the store, the
   * publishing connection and the two subscribing ones) and never closes it.
   */
  client?: P2pRedisClient | undefined;
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
  /** Where Redis is, for logs: the URL with its password hidden, or the given client's host and port. */
  redisTarget: string;
  /** As given: undefined means "sharded when the Redis answering at start is 7 or newer". */
  sharded: boolean | undefined;
  nodeTtlMs: number;
  commandTimeoutMs: number;
  drainTimeoutMs: number;
}

export const DEFAULT_COMMAND_TIMEOUT_MS = 1_500;

export function resolveClusterOptions(options: P2pRedisOptions): ResolvedClusterOptions {
  return {
    keyPrefix: options.keyPrefix ?? 'p2p',
    redisTarget: describeRedisTarget(options),
    sharded: options.sharded,
    nodeTtlMs: options.nodeTtlMs ?? 5_000,
    commandTimeoutMs: positive('commandTimeoutMs', options.commandTimeoutMs, DEFAULT_COMMAND_TIMEOUT_MS),
    drainTimeoutMs: positive('drainTimeoutMs', options.drainTimeoutMs, 5_000),
  };
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) throw new TypeError(`P2pModule: redis.${name} must be a positive number of ms, got ${value}`);
  return value;
}
