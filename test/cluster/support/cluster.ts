import { afterAll, afterEach, beforeAll } from '@jest/globals';
import type { Redis } from 'ioredis';
import { type Socket, io } from 'socket.io-client';
import { REDIS_URL, connectTestRedis, deleteKeysOf, uniqueKeyPrefix } from '../../support/redis.js';
import { whenConnected } from '../../support/wire.js';
import { ClusterNodeProcess, type NodeOptions } from './cluster-node.process.js';

type SocketOptions = NonNullable<Parameters<typeof io>[1]>;

/** Short bounds, so failures show up fast; a test that needs another passes its own. */
/**
 * How long a suite's beforeAll may take to start its node processes (each has 60 s, and they start side by side): a
 * loaded 2-core machine can need far more than Jest's default.
 */
export const NODES_START_TIMEOUT_MS = 120_000;

export const CLUSTER_DEFAULTS = { pairTimeoutMs: 3000, ackTimeoutMs: 3000, reconnectGraceMs: 0 } satisfies NodeOptions;

export interface TestCluster {
  /** This file's key prefix: its nodes form one cluster, apart from every other test's. */
  readonly keyPrefix: string;
  /** The suite's own Redis connection (to look at keys). */
  redis(): Redis;
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
export function useCluster(label: string, defaults: NodeOptions = {}): TestCluster {
  const keyPrefix = uniqueKeyPrefix(`cluster-${label}`);
  const nodes: ClusterNodeProcess[] = [];
  const sockets: Socket[] = [];
  let redis: Redis | undefined;
  let testNumber = 0;

  beforeAll(async () => {
    redis = await connectTestRedis();
  });
  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.disconnect();
    testNumber++;
  });
  afterAll(async () => {
    for (const socket of sockets.splice(0)) socket.disconnect();
    await Promise.all(nodes.map((node) => node.kill()));
    if (redis?.status === 'ready') await deleteKeysOf(redis, keyPrefix);
    await redis?.quit().catch(() => redis?.disconnect());
  });

  const socket = (node: ClusterNodeProcess, options: SocketOptions): Socket => {
    const opened = io(node.url, { transports: ['websocket'], reconnection: false, forceNew: true, ...options });
    sockets.push(opened);
    return opened;
  };

  return {
    keyPrefix,
    redis() {
      if (!redis) throw new Error('cluster suite: Redis not connected (see the beforeAll failure above)');
      return redis;
    },
    async node(name, options = {}) {
      // Without Redis a node would only wait for it and fail later: say what is missing at once (beforeAll's error).
      if (!redis) throw new Error('cluster suite: no node started, Redis is not reachable (see the error above)');
      const redisOptions = { url: REDIS_URL, keyPrefix, ...defaults.redis, ...options.redis };
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
