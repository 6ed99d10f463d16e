import { afterAll, afterEach, beforeAll } from '@jest/globals';
import { Cluster, type Redis } from 'ioredis';
import { type Socket, io } from 'socket.io-client';
import { REDIS_URL, connectTestRedis, deleteKeysOf, uniqueKeyPrefix } from '../../support/redis.js';
import { whenConnected } from '../../support/wire.js';
import { ClusterNodeProcess, type NodeOptions } from './cluster-node.process.js';
import { RedisClusterProcess } from './redis-cluster.process.js';

type SocketOptions = NonNullable<Parameters<typeof io>[1]>;

/** Short bounds, so failures show up fast; a test that needs another passes its own. */
/**
 * How long a suite's beforeAll may take to start its node processes (each has 60 s, and they start side by side): a
 * loaded 2-core machine can need far more than Jest's default.
 */
export const NODES_START_TIMEOUT_MS = 120_000;

export const CLUSTER_DEFAULTS = { pairTimeoutMs: 3000, ackTimeoutMs: 3000, reconnectGraceMs: 0 } satisfies NodeOptions;

/**
 * What the gateway nodes of a suite share their state through: the shared Redis (`redis`), or a Redis Cluster of six
 * processes of the suite's own (`redis-cluster`), started in beforeAll and stopped in afterAll.
 */
export type ClusterBackend = 'redis' | 'redis-cluster';

/** How long starting a Redis Cluster of six processes may take on a loaded 2-core machine. */
export const REDIS_CLUSTER_START_TIMEOUT_MS = 120_000;

export interface TestCluster {
  readonly backend: ClusterBackend;
  /** This file's key prefix: its nodes form one cluster, apart from every other test's. */
  readonly keyPrefix: string;
  /** The suite's own Redis connection (to look at keys): an ioredis `Cluster` on a Redis Cluster. */
  redis(): Redis | Cluster;
  /** The suite's Redis Cluster processes (to find a shard's primary, kill it); only with the `redis-cluster` backend. */
  redisCluster(): RedisClusterProcess;
  /** Starts a node of this cluster (a separate process); killed in afterAll if still running. */
  node(name: string, options?: NodeOptions): Promise<ClusterNodeProcess>;
  /** Kills every node started so far (for suites that start fresh nodes in each test). */
  killAll(): Promise<void>;
  /** A raw socket.io-client 4 socket to `node`, not yet connected; closed after each test. */
  socket(node: ClusterNodeProcess, options: SocketOptions): Socket;
  /** An original client (`?clientId=`, protocol 1), connected. */
  connectV1(node: ClusterNodeProcess, clientId: string): Promise<Socket>;
  /** A protocol 2 client (auth), optionally with a session token, connected. */
  connectV2(node: ClusterNodeProcess, clientId: string, sessionToken?: string, extra?: SocketOptions): Promise<Socket>;
  /** Ids unique to the running test: `ids('A', 'B')` -> ['A-3', 'B-3']. */
  ids<T extends string[]>(...names: T): { [K in keyof T]: string };
}

/**
 * Registers the hooks of a multi-node suite in the calling describe block: one Redis key prefix for the file, sockets
 * closed after each test, every node process killed and every key deleted after all.
 */
export function useCluster(label: string, defaults: NodeOptions = {}, backend: ClusterBackend = 'redis'): TestCluster {
  const keyPrefix = uniqueKeyPrefix(`cluster-${label}`);
  const nodes: ClusterNodeProcess[] = [];
  const sockets: Socket[] = [];
  let redis: Redis | Cluster | undefined;
  let redisCluster: RedisClusterProcess | undefined;
  let testNumber = 0;

  beforeAll(async () => {
    if (backend === 'redis') {
      redis = await connectTestRedis();
      return;
    }
    redisCluster = await RedisClusterProcess.start();
    const inspector = new Cluster(redisCluster.nodes, { redisOptions: { disconnectTimeout: 50 } });
    inspector.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      inspector.once('ready', resolve);
      inspector.once('end', () => reject(new Error('cluster suite: could not connect to the Redis Cluster')));
    });
    redis = inspector;
  }, REDIS_CLUSTER_START_TIMEOUT_MS);
  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.disconnect();
    testNumber++;
  });
  afterAll(async () => {
    for (const socket of sockets.splice(0)) socket.disconnect();
    try {
      await Promise.all(nodes.map((node) => node.kill()));
      if (redis?.status === 'ready') await deleteKeysOf(redis, keyPrefix);
    } finally {
      // A Cluster's QUIT may wait on the nodes a test killed: it just disconnects.
      if (redisCluster) redis?.disconnect();
      else await redis?.quit().catch(() => redis?.disconnect());
      await redisCluster?.stop();
    }
  }, REDIS_CLUSTER_START_TIMEOUT_MS);

  const socket = (node: ClusterNodeProcess, options: SocketOptions): Socket => {
    const opened = io(node.url, { transports: ['websocket'], reconnection: false, forceNew: true, ...options });
    sockets.push(opened);
    return opened;
  };

  return {
    backend,
    keyPrefix,
    redis() {
      if (!redis) throw new Error('cluster suite: Redis not connected (see the beforeAll failure above)');
      return redis;
    },
    redisCluster() {
      if (!redisCluster) throw new Error(`cluster suite: no Redis Cluster (backend '${backend}', or its start failed above)`);
      return redisCluster;
    },
    async node(name, options = {}) {
      // Without Redis a node would only wait for it and fail later: say what is missing at once (beforeAll's error).
      if (!redis) throw new Error('cluster suite: no node started, Redis is not reachable (see the error above)');
      const where = redisCluster ? { cluster: redisCluster.nodes } : { url: REDIS_URL };
      const redisOptions = { ...where, keyPrefix, ...defaults.redis, ...options.redis };
      const node = new ClusterNodeProcess(name, { ...CLUSTER_DEFAULTS, ...defaults, ...options, redis: redisOptions });
      nodes.push(node);
      return node.start();
    },
    async killAll() {
      await Promise.all(nodes.map((node) => node.kill()));
    },
    socket,
    connectV1: (node, clientId) => whenConnected(socket(node, { query: { clientId } })),
    connectV2: (node, clientId, sessionToken, extra = {}) =>
      whenConnected(socket(node, { auth: { clientId, p2pProtocol: 2, ...(sessionToken ? { sessionToken } : {}) }, ...extra })),
    ids: (...names) => names.map((name) => `${name}-${testNumber}`) as never,
  };
}

/** `emitWithAck` with a bound of its own, for answers that wait on a node's death. */
export function emitWithAckWithin(timeoutMs: number, socket: Socket, event: string, ...args: unknown[]): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    socket.timeout(timeoutMs).emit(event, ...args, (timedOut: Error | null, ...results: unknown[]) => {
      if (timedOut) reject(new Error(`no ack for "${event}" within ${timeoutMs} ms`));
      else resolve(results);
    });
  });
}
