/**
 * Cross-node relay against single-node relay, in the same run: gateway nodes as separate processes (gateway-node.ts),
 * the load generator as its own process (load.ts, with a target URL), over several rounds with the order of the
 * configurations rotating. Configurations:
 *   memory  one node, in-memory store (reference)
 *   single  one node with the Redis store and adapter; both clients of each pair on it
 *   cross   three nodes sharing Redis (a key prefix of their own), default options; each pair's source on node 1, its
 *           target on node 2; node 3 is a bystander that holds no client (what it spends is what the cluster's traffic
 *           costs a node that has no part in it)
 *   redis-cluster  after the rounds: pairing churn on two nodes over a six-process Redis Cluster of its own, each
 *           primary's share of the store's commands and its CPU per cycle (cluster/redis-cluster-churn.ts)
 * Needs Redis at REDIS_URL (default redis://127.0.0.1:6379), and redis-server and redis-cli on PATH for the Redis
 * Cluster. Writes bench/results/cluster.{json,md} and bench/results/cluster-redis-cluster.{json,md}.
 *   npm run bench:cluster                 full run (~2.5 min on 2 cores)
 *   npm run bench:cluster -- --short      smoke run (< 1 min), written to bench/results/cluster-short.*
 *   npm run bench:cluster -- --rounds 7   more rounds
 *   npm run bench:cluster -- --only-redis-cluster   the Redis Cluster configuration alone
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { redactRedisUrl } from '../packages/server/src/options/redis.target.js';
import type { ServerStats } from './ipc.js';
import { describeMachine } from './harness/machine.js';
import { watchOtherWork } from './harness/machine-load.js';
import { Progress } from './harness/progress.js';
import type { AckResult, AckSpec, RelayResult, RelaySpec } from './workloads.js';
import { LOAD_SCRIPT, runLoadProcess } from './harness/load-process.js';
import {
  CONFIGS,
  CONFIG_TITLES,
  type ClusterConfig,
  type ClusterRounds,
  type ConfigResult,
  clusterMarkdownTable,
  clusterTextTable,
  computeClusterFigures,
} from './cluster/cluster-report.js';
import { GatewayNode } from './harness/gateway-node.process.js';
import { RedisCpuWindow, findRedisPid } from './cluster/redis-cpu.js';
import { redisClusterChurnTable, runRedisClusterChurn } from './cluster/redis-cluster-churn.js';

const RESULTS_DIR = fileURLToPath(new URL('../../bench/results/', import.meta.url));
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const LOAD_TIMEOUT_MS = 120_000;

interface ClusterPlan {
  rounds: number;
  relay: RelaySpec;
  ack: AckSpec;
}

function plan(rounds: number, warmupMs: number, measureMs: number): ClusterPlan {
  return {
    rounds,
    relay: { kind: 'relay', pairs: 50, payloadBytes: 64, offeredPerSec: 2000, window: 16, warmupMs, measureMs },
    ack: { kind: 'ack', pairs: 50, payloadBytes: 64, window: 4, warmupMs, measureMs },
  };
}
const FULL = plan(5, 500, 2000);
const SHORT = plan(1, 300, 1000);

function option(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

async function checkRedis(): Promise<Redis> {
  const client = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 1, retryStrategy: () => null });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
    return client;
  } catch (cause) {
    client.disconnect();
    throw new Error(`bench:cluster needs Redis at ${redactRedisUrl(REDIS_URL)} (${(cause as Error).message}); start it or set REDIS_URL`);
  }
}

async function deleteKeys(client: Redis, keyPrefix: string): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `{${keyPrefix}}*`, 'COUNT', 1000);
    if (keys.length) deleted += await client.del(...keys);
    cursor = next;
  } while (cursor !== '0');
  return deleted;
}

/** The gateway nodes of one round, by configuration: the pair's source node first, its target node second. */
function nodesOfRound(prefixes: { single: string; cross: string }): Record<ClusterConfig, GatewayNode[]> {
  const redis = (prefix: string) => ({ REDIS_URL, P2P_KEY_PREFIX: prefix });
  return {
    memory: [new GatewayNode('memory')],
    single: [new GatewayNode('single', redis(prefixes.single))],
    cross: [1, 2, 3].map((n) => new GatewayNode(`cross-${n}`, redis(prefixes.cross))),
  };
}

/**
 * Server CPU summed over the nodes of a configuration (the bystander included); memory after GC only makes sense for
 * one. Each node's own stats are kept in `perNode` too.
 */
async function probeNodes(nodes: GatewayNode[], gc: boolean, perNode: ServerStats[][]): Promise<ServerStats> {
  const all = await Promise.all(nodes.map((node) => node.stats(gc)));
  perNode.push(all);
  return all.reduce((sum, s) => ({
    rssBytes: sum.rssBytes + s.rssBytes,
    heapUsedBytes: sum.heapUsedBytes + s.heapUsedBytes,
    cpuMicros: sum.cpuMicros + s.cpuMicros,
    openSockets: sum.openSockets + s.openSockets,
    clockMicros: s.clockMicros,
  }));
}

async function measureConfig(nodes: GatewayNode[], spec: RelaySpec | AckSpec, redisPid: number | null, log: (text: string) => void) {
  await Promise.all(nodes.map((node) => node.quiesce()));
  const redisCpu = new RedisCpuWindow(redisPid);
  const source = nodes[0]!;
  // Node 2 holds the targets; a third node, when there is one, is the bystander that holds no client.
  const target = nodes[1] ?? source;
  const snapshots: ServerStats[][] = [];
  const result = await runLoadProcess<RelayResult | AckResult>(LOAD_SCRIPT, [source.url, JSON.stringify(spec), target.url], {
    probe: async (gc) => {
      redisCpu.mark();
      return probeNodes(nodes, gc, snapshots);
    },
    onProgress: log,
    timeoutMs: LOAD_TIMEOUT_MS,
  });
  // The load probes at the start and the end of its measured window: each node's CPU over that window.
  const first = snapshots[0];
  const last = snapshots[snapshots.length - 1];
  const nodeCpuMicros = first && last && snapshots.length >= 2 ? last.map((stats, i) => stats.cpuMicros - first[i]!.cpuMicros) : null;
  return { result, redisBusy: redisCpu.busy(), nodeCpuMicros };
}

async function measure(p: ClusterPlan, progress: Progress, redisPid: number | null, prefixes: { single: string; cross: string }) {
  const rounds: ClusterRounds = [];
  const failures: string[] = [];
  for (let r = 0; r < p.rounds; r++) {
    const order = CONFIGS.map((_, i) => CONFIGS[(i + r) % CONFIGS.length]!);
    const nodes = nodesOfRound(prefixes);
    const all = Object.values(nodes).flat();
    const round: ClusterRounds[number] = {};
    rounds.push(round);
    try {
      for (const node of all) await node.start();
      for (const config of order) {
        const entry: ConfigResult = { redisBusy: {}, nodeCpuMicros: {} };
        round[config] = entry;
        for (const spec of [p.relay, p.ack]) {
          progress.step++;
          const where = `round ${r + 1}/${p.rounds} · ${spec.kind} · ${CONFIG_TITLES[config]}`;
          progress.log(where);
          try {
            const { result, redisBusy, nodeCpuMicros } = await measureConfig(nodes[config], spec, redisPid, (text) =>
              progress.log(`${where}: ${text}`),
            );
            if (result.kind === 'relay') entry.relay = result;
            else entry.ack = result;
            entry.redisBusy[spec.kind as 'relay' | 'ack'] = redisBusy;
            entry.nodeCpuMicros[spec.kind as 'relay' | 'ack'] = nodeCpuMicros;
          } catch (error) {
            const message = error instanceof Error ? error.message : String(error);
            failures.push(`${where}: ${message}`);
            progress.log(`${where}: FAILED ${message}`);
          }
        }
      }
    } finally {
      for (const node of all) {
        const logged = node.lastOutput.replace('ready', '').trim();
        if (logged) failures.push(`node ${node.name} logged: ${logged.slice(-1000)}`);
      }
      await Promise.all(all.map((node) => node.stop()));
    }
  }
  return { rounds, failures };
}

/** The Redis Cluster configuration: pairing churn, each primary's share of the store's commands, CPU per cycle. */
async function redisClusterRun(short: boolean): Promise<void> {
  // Both stores in the same run, each on a Redis Cluster of its own: the sharded one (the default there) and the
  // single-slot one it replaces, as the baseline.
  const results = [];
  for (const store of ['sharded', 'single-slot'] as const) {
    results.push(await runRedisClusterChurn(store, short ? 10 : 20, short ? 5 : 20, (line) => console.log(line)));
  }
  const table = results.map(redisClusterChurnTable).join('\n\n');
  mkdirSync(RESULTS_DIR, { recursive: true });
  const report = { date: new Date().toISOString(), machine: describeMachine(), results };
  writeFileSync(`${RESULTS_DIR}cluster-redis-cluster.json`, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(`${RESULTS_DIR}cluster-redis-cluster.md`, `${table}\n`);
  console.log(`\n${table}\n\nwritten: bench/results/cluster-redis-cluster.json, cluster-redis-cluster.md`);
}

async function main(): Promise<number> {
  const short = process.argv.includes('--short');
  if (process.argv.includes('--only-redis-cluster')) {
    await redisClusterRun(short);
    return 0;
  }
  const base = short ? SHORT : FULL;
  const p: ClusterPlan = { ...base, rounds: Number(option('--rounds') ?? base.rounds) };
  const redis = await checkRedis();
  const redisVersion = /redis_version:(\S+)/.exec(await redis.info('server'))?.[1] ?? 'unknown';
  const redisPid = findRedisPid();
  const runId = randomUUID();
  const prefixes = { single: `p2p-bench-single-${runId}`, cross: `p2p-bench-cross-${runId}` };
  const machine = describeMachine();
  const progress = new Progress(p.rounds * CONFIGS.length * 2);
  progress.log(
    `${short ? 'short' : 'full'} cluster run: ${p.rounds} round(s), ${machine.nproc} cores, ${machine.cpuModel}, node ${machine.node}, Redis ${redisVersion}`,
  );

  const loadAverage = { atStart: loadavg(), atEnd: [] as number[] };
  const otherWork = watchOtherWork();
  let outcome: Awaited<ReturnType<typeof measure>>;
  try {
    outcome = await measure(p, progress, redisPid, prefixes);
  } finally {
    const leftover = (await deleteKeys(redis, prefixes.single)) + (await deleteKeys(redis, prefixes.cross));
    if (leftover) progress.log(`deleted ${leftover} key(s) the nodes left in Redis`);
    redis.disconnect();
  }
  const otherCpuShare = otherWork();
  loadAverage.atEnd = loadavg();
  const { rounds, failures } = outcome;
  const figures = computeClusterFigures(rounds, p.relay.offeredPerSec);

  const command = `npm run bench:cluster${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  const other = otherCpuShare === null ? '' : ` · other work took ${Math.round(otherCpuShare * 100)}% of the CPU`;
  const subtitle =
    `${command} · ${p.rounds} round(s), medians · ${machine.nproc} cores ${machine.cpuModel} · node ${machine.node} · ` +
    `Redis ${redisVersion} at ${redactRedisUrl(REDIS_URL)} · not pinned${other}`;
  const stem = short ? 'cluster-short' : option('--rounds') ? 'cluster-partial' : 'cluster';
  mkdirSync(RESULTS_DIR, { recursive: true });
  const report = {
    date: new Date().toISOString(),
    command,
    machine,
    redisVersion,
    otherCpuShare,
    loadAverage,
    plan: p,
    figures,
    rounds,
    failures,
  };
  writeFileSync(`${RESULTS_DIR}${stem}.json`, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(`${RESULTS_DIR}${stem}.md`, `${subtitle}\n\n${clusterMarkdownTable(figures)}\n`);

  console.log(`\n${subtitle}\n`);
  console.log(clusterTextTable(figures));
  console.log(`\nwritten: bench/results/${stem}.json, ${stem}.md`);
  for (const failure of failures) console.error(`failed: ${failure}`);
  await redisClusterRun(short);
  return failures.length === 0 ? 0 : 1;
}

process.exitCode = await main();
