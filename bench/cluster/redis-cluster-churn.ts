/**
 * The Redis Cluster configuration of bench:cluster: pairing churn on two gateway nodes over a six-process Redis Cluster
 * of the bench's own (three primaries, three replicas, on free loopback ports). Each pair's source on node 1 and its
 * target on node 2 (alternating) pair and unpair in a loop (P2P_REGISTER, the target's consent, P2P_UNREGISTER) for a
 * fixed time. Reports, per primary, its share of the store's commands (INFO commandstats before and after; pub/sub and
 * cluster housekeeping commands apart) and its CPU (INFO cpu) per pairing cycle.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { type Socket, io } from 'socket.io-client';
import { RedisClusterProcess } from '../../test/cluster/support/redis-cluster.process.js';
import { GatewayNode } from '../harness/gateway-node.process.js';

/** Commands that are not the store's: pub/sub between nodes, and what clients and the cluster send for themselves. */
const NOT_STORE = /^(spublish|ssubscribe|sunsubscribe|publish|subscribe|ping|info|cluster|command|client|hello|readonly|select|quit)$/;

export interface ShardFigures {
  primary: string;
  /**
   * The store's commands this primary ran during the window (those its Lua scripts run included: INFO commandstats
   * counts them), and their share of all primaries' store commands.
   */
  storeCommands: number;
  /** Of which the store's scripts themselves (EVALSHA / EVAL calls). */
  scripts: number;
  storeShare: number;
  /** SPUBLISH and the like: messages between nodes. */
  pubsubCommands: number;
  /** CPU seconds (user + sys) over the window, and per pairing cycle in µs. */
  cpuSeconds: number;
  cpuMicrosPerCycle: number;
}

export type ClusterStoreKind = 'sharded' | 'single-slot';

export interface RedisClusterChurnResult {
  /** The gateway's `redis.store`. */
  store: ClusterStoreKind;
  pairs: number;
  seconds: number;
  cycles: number;
  cyclesPerSecond: number;
  shards: ShardFigures[];
}

interface Snapshot {
  commands: Map<string, number>;
  cpu: number;
}

async function snapshot(client: Redis): Promise<Snapshot> {
  const commands = new Map<string, number>();
  for (const match of (await client.info('commandstats')).matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    commands.set(match[1]!, Number(match[2]));
  }
  const cpuInfo = await client.info('cpu');
  const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(cpuInfo)?.[1] ?? 0);
  return { commands, cpu: field('used_cpu_user') + field('used_cpu_sys') };
}

function connect(url: string, clientId: string): Promise<Socket> {
  const socket = io(url, { query: { clientId }, transports: ['websocket'], forceNew: true, reconnection: false });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', reject);
  });
}

function ack(socket: Socket, event: string, ...args: unknown[]): Promise<unknown[]> {
  return new Promise((resolve) =>
    socket.timeout(10_000).emit(event, ...args, (error: unknown, ...results: unknown[]) => resolve(error ? [false] : results)),
  );
}

export async function runRedisClusterChurn(
  store: ClusterStoreKind,
  pairs: number,
  seconds: number,
  log: (line: string) => void,
): Promise<RedisClusterChurnResult> {
  const redisCluster = await RedisClusterProcess.start();
  const env = { REDIS_CLUSTER_NODES: redisCluster.nodes.join(','), P2P_KEY_PREFIX: `p2p-bench-rc-${randomUUID()}`, P2P_STORE: store };
  const nodes = [new GatewayNode('rc-1', env), new GatewayNode('rc-2', env)];
  const sockets: Socket[] = [];
  const admins: Redis[] = [];
  try {
    await Promise.all(nodes.map((node) => node.start()));
    const primaries = await redisCluster.primaries();
    log(`Redis Cluster churn, ${store} store: ${pairs} pairs over 2 nodes, ${seconds} s, primaries ${primaries.join(', ')}`);
    for (const address of primaries) admins.push(new Redis({ host: '127.0.0.1', port: Number(address.split(':')[1]) }));
    const loops: Array<{ source: Socket; target: Socket; targetId: string }> = [];
    for (let i = 0; i < pairs; i++) {
      const [from, to] = i % 2 ? [nodes[1]!, nodes[0]!] : [nodes[0]!, nodes[1]!];
      const [source, target] = await Promise.all([connect(from.url, `S-${i}`), connect(to.url, `T-${i}`)]);
      sockets.push(source, target);
      target.on('P2P_REGISTER', (sourceId: string) => target.emit('P2P_REGISTER_SUCCESS', sourceId));
      loops.push({ source, target, targetId: `T-${i}` });
    }
    const before = await Promise.all(admins.map(snapshot));
    const startedAt = performance.now();
    const until = Date.now() + seconds * 1000;
    let cycles = 0;
    await Promise.all(
      loops.map(async ({ source, targetId }) => {
        while (Date.now() < until) {
          const [paired] = await ack(source, 'P2P_REGISTER', targetId);
          if (paired !== true) continue;
          const [left] = await ack(source, 'P2P_UNREGISTER');
          if (left === true) cycles++;
        }
      }),
    );
    const elapsed = (performance.now() - startedAt) / 1000;
    const after = await Promise.all(admins.map(snapshot));
    const perShard = primaries.map((primary, i) => {
      let storeCommands = 0;
      let pubsubCommands = 0;
      let scripts = 0;
      for (const [name, calls] of after[i]!.commands) {
        const delta = calls - (before[i]!.commands.get(name) ?? 0);
        if (/^s?(publish|subscribe|unsubscribe)$/.test(name)) pubsubCommands += delta;
        else if (!NOT_STORE.test(name)) storeCommands += delta;
        if (/^eval/.test(name)) scripts += delta;
      }
      return { primary, storeCommands, scripts, pubsubCommands, cpuSeconds: after[i]!.cpu - before[i]!.cpu };
    });
    const allStore = perShard.reduce((sum, shard) => sum + shard.storeCommands, 0);
    const shards = perShard.map((shard) => ({
      ...shard,
      storeShare: allStore === 0 ? 0 : shard.storeCommands / allStore,
      cpuMicrosPerCycle: cycles === 0 ? 0 : (shard.cpuSeconds * 1e6) / cycles,
    }));
    return { store, pairs, seconds: elapsed, cycles, cyclesPerSecond: cycles / elapsed, shards };
  } finally {
    for (const socket of sockets) socket.disconnect();
    for (const admin of admins) admin.disconnect();
    await Promise.all(nodes.map((node) => node.stop().catch(() => undefined)));
    await redisCluster.stop();
  }
}

/** The configuration's table, in Markdown. */
export function redisClusterChurnTable(result: RedisClusterChurnResult): string {
  const rows = result.shards.map(
    (shard) =>
      `| ${shard.primary} | ${shard.storeCommands} | ${shard.scripts} | ${(shard.storeShare * 100).toFixed(1)}% | ${shard.pubsubCommands} | ` +
      `${shard.cpuMicrosPerCycle.toFixed(1)} |`,
  );
  return [
    `Pairing churn on a Redis Cluster, ${result.store} store: ${result.pairs} pairs over 2 nodes, ${result.cycles} pair + unpair cycles in ` +
      `${result.seconds.toFixed(1)} s (${Math.round(result.cyclesPerSecond)}/s)`,
    '',
    "| primary | store commands (scripts' included) | of which scripts | share | pub/sub commands | Redis CPU per cycle (µs) |",
    '| --- | --: | --: | --: | --: | --: |',
    ...rows,
  ].join('\n');
}
