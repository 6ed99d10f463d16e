/**
 * Pairing churn on the store alone: pair + unpair cycles per second of RedisPairingStore (one hash tag, one slot) and
 * ShardedRedisPairingStore (clients over 64 tagged partitions, two-client changes under locks), in the same run.
 *
 *   npm run bench:store-churn -- [--seconds 5] [--pairs 100] [--no-cluster] [--auto-pipelining]
 *
 * 1. Standalone Redis (REDIS_URL, default 127.0.0.1:6379): both stores, alternately, three rounds each; the ratio of
 *    their medians, and for each store the CPU per cycle of this process (the store's client side) and of Redis
 *    (INFO cpu deltas: the whole server's, so other clients of the same Redis count too). The in-memory store runs
 *    the same loop beside them, for what the Redis store costs per cycle over it.
 * 2. A Redis Cluster of six local processes (three primaries), unless --no-cluster: both stores again, with each
 *    primary's share of the commands Redis processed and its CPU per cycle (INFO stats / INFO cpu deltas).
 * A cycle is reserve + confirm + unpair of one pair; `pairs` pairs churn at once, each from its own loop.
 */
import { randomUUID } from 'node:crypto';
import { Cluster, Redis } from 'ioredis';
import { RedisPairingStore } from '../../packages/server/src/stores/redis/redis-pairing.store.js';
import { ShardedRedisPairingStore } from '../../packages/server/src/stores/redis-sharded/sharded-pairing.store.js';
import type { PairingStore } from '../../packages/server/src/stores/pairing-store.interface.js';
import { InMemoryPairingStore } from '../../packages/server/src/stores/in-memory-pairing.store.js';
import { RedisClusterProcess } from '../../test/cluster/support/redis-cluster.process.js';
import { numberOption } from '../harness/number.option.js';

const SECONDS = numberOption('seconds', 5);
const PAIRS = numberOption('pairs', 100);
const ROUNDS = 3;
const args = process.argv.slice(2);
/** ioredis `enableAutoPipelining` on the store's connection: the commands of one event-loop turn go in one write. */
const AUTO_PIPELINING = args.includes('--auto-pipelining');

type Kind = 'single-slot' | 'sharded';

function makeStore(kind: Kind, redis: Redis | Cluster, keyPrefix: string): PairingStore {
  return kind === 'sharded' ? new ShardedRedisPairingStore(redis, { keyPrefix }) : new RedisPairingStore(redis, { keyPrefix });
}

/** Registers 2 × PAIRS clients, then churns for SECONDS; cycles per second. */
async function churn(store: PairingStore): Promise<number> {
  const ids = Array.from({ length: 2 * PAIRS }, (_, i) => `c${i}-${randomUUID().slice(0, 8)}`);
  for (const clientId of ids) {
    await store.registerClient(
      { clientId, connectionId: `conn-${clientId}`, nodeId: 'bench', protocolVersion: 3, connectedAt: Date.now(), state: { kind: 'free' } },
      'refuse',
    );
  }
  let cycles = 0;
  const until = Date.now() + SECONDS * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: PAIRS }, async (_, i) => {
      const [sourceId, targetId] = [ids[2 * i]!, ids[2 * i + 1]!];
      while (Date.now() < until) {
        const request = { requestId: randomUUID(), sourceId, targetId };
        if (!(await store.reservePairing(request)).ok) throw new Error('bench: reserve refused');
        if (!(await store.confirmPairing(request)).ok) throw new Error('bench: confirm refused');
        if (!(await store.unpair(sourceId))) throw new Error('bench: unpair found no pairing');
        cycles++;
      }
    }),
  );
  const rate = cycles / ((performance.now() - started) / 1000);
  for (const clientId of ids) await store.removeClient(clientId, `conn-${clientId}`);
  return rate;
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function deletePrefix(nodes: Redis[], keyPrefix: string): Promise<void> {
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', `*${keyPrefix}*`, 'COUNT', 1000);
      for (const key of keys) await node.del(key);
      cursor = next;
    } while (cursor !== '0');
  }
}

/** One store's churn on standalone Redis: cycles per second, and CPU per cycle here and in Redis (µs). */
interface ChurnFigures {
  rate: number;
  ownCpuUs: number;
  redisCpuUs: number;
}

async function measuredChurn(store: PairingStore, redis: Redis | undefined): Promise<ChurnFigures> {
  const before = redis ? await statsOf(redis) : undefined;
  const own = process.cpuUsage();
  const started = performance.now();
  const rate = await churn(store);
  const cycles = rate * ((performance.now() - started) / 1000);
  const used = process.cpuUsage(own);
  const after = redis ? await statsOf(redis) : undefined;
  const redisCpuUs = before && after ? ((after.cpu - before.cpu) * 1e6) / cycles : 0;
  // The setup (registering, removing the clients) is in both CPU figures; it is small beside SECONDS of churn.
  return { rate, ownCpuUs: (used.user + used.system) / cycles, redisCpuUs };
}

async function standalone(): Promise<void> {
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { enableAutoPipelining: AUTO_PIPELINING });
  const figures: Record<Kind | 'memory', ChurnFigures[]> = { memory: [], 'single-slot': [], sharded: [] };
  for (let round = 0; round < ROUNDS; round++) {
    figures.memory.push(await measuredChurn(new InMemoryPairingStore(), undefined));
    for (const kind of ['single-slot', 'sharded'] as const) {
      const keyPrefix = `bench-churn-${randomUUID()}`;
      figures[kind].push(await measuredChurn(makeStore(kind, redis, keyPrefix), redis));
      await deletePrefix([redis], keyPrefix);
    }
  }
  const medianOf = (kind: Kind | 'memory', field: keyof ChurnFigures) => median(figures[kind].map((f) => f[field]));
  const [single, sharded] = [medianOf('single-slot', 'rate'), medianOf('sharded', 'rate')];
  const pipelining = AUTO_PIPELINING ? ', auto-pipelining' : '';
  console.log(`standalone Redis, ${PAIRS} pairs churning, ${SECONDS} s x ${ROUNDS} rounds each (median${pipelining}):`);
  const cost = (kind: Kind | 'memory') =>
    `node CPU ${medianOf(kind, 'ownCpuUs').toFixed(1)} us/cycle` +
    (kind === 'memory' ? '' : `, Redis CPU ${medianOf(kind, 'redisCpuUs').toFixed(1)} us/cycle`);
  console.log(`  InMemoryPairingStore      ${medianOf('memory', 'rate').toFixed(0)} cycles/s; ${cost('memory')}`);
  console.log(`  RedisPairingStore         ${single.toFixed(0)} cycles/s; ${cost('single-slot')}`);
  console.log(`  ShardedRedisPairingStore  ${sharded.toFixed(0)} cycles/s  (${(sharded / single).toFixed(2)}x); ${cost('sharded')}`);
  await redis.quit();
}

interface NodeStats {
  commands: number;
  cpu: number;
}

async function statsOf(node: Redis): Promise<NodeStats> {
  const info = await node.info();
  const field = (name: string): number => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? 0);
  return { commands: field('total_commands_processed'), cpu: field('used_cpu_user') + field('used_cpu_sys') };
}

async function onCluster(): Promise<void> {
  const cluster = await RedisClusterProcess.start();
  try {
    const primaries = await cluster.primaries();
    const nodes = primaries.map((address) => new Redis(Number(address.split(':')[1]), address.split(':')[0]!));
    const client = new Cluster(
      cluster.nodes.map((address) => ({ host: address.split(':')[0]!, port: Number(address.split(':')[1]) })),
      { enableAutoPipelining: AUTO_PIPELINING },
    );
    console.log(`\nRedis Cluster, 3 primaries (+3 replicas), ${PAIRS} pairs churning, ${SECONDS} s each:`);
    for (const kind of ['single-slot', 'sharded'] as const) {
      const keyPrefix = `bench-churn-${randomUUID()}`;
      const store = makeStore(kind, client, keyPrefix);
      const before = await Promise.all(nodes.map(statsOf));
      const started = performance.now();
      const rate = await churn(store);
      const seconds = (performance.now() - started) / 1000;
      const after = await Promise.all(nodes.map(statsOf));
      const commands = after.map((stats, i) => stats.commands - before[i]!.commands);
      const total = commands.reduce((sum, count) => sum + count, 0);
      const cycles = rate * SECONDS;
      console.log(`  ${kind.padEnd(11)} ${rate.toFixed(0)} cycles/s (run with setup ${seconds.toFixed(1)} s)`);
      primaries.forEach((address, i) => {
        const cpuMs = (after[i]!.cpu - before[i]!.cpu) * 1000;
        const share = ((100 * commands[i]!) / total).toFixed(1);
        console.log(`    primary ${address}: ${share}% of commands, ${((1000 * cpuMs) / cycles).toFixed(1)} us Redis CPU per cycle`);
      });
      await deletePrefix(nodes, keyPrefix);
    }
    await client.quit();
    for (const node of nodes) await node.quit();
  } finally {
    await cluster.stop();
  }
}

await standalone();
if (!args.includes('--no-cluster')) await onCluster();
