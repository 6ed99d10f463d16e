import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';

const run = promisify(execFile);

const HOST = '127.0.0.1';
/** A cluster node listens on P and on P + 10000 (the cluster bus): P stays below 55000 so both are valid ports. */
const BUS_OFFSET = 10_000;
const LOWEST_PORT = 20_000;
const HIGHEST_PORT = 54_999;
const SLOTS = 16_384;
const NODE_TIMEOUT_MS = 2000;
const START_TIMEOUT_MS = 60_000;
const START_ATTEMPTS = 3;
const MISSING_HINT =
  'the Redis Cluster suites run six redis-server processes of their own: they need redis-server and redis-cli on PATH ' +
  '(Debian packages redis-server and redis-tools)';

/** One line of CLUSTER NODES. */
export interface ClusterNodeLine {
  id: string;
  /** `host:port` */
  address: string;
  flags: string[];
  /** The id of its primary, for a replica. */
  primaryId?: string;
  /** Inclusive slot ranges it serves, for a primary. */
  slots: Array<[number, number]>;
}

function freeOn(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, HOST, () => server.close(() => resolve(true)));
  });
}

/** Ports P with P and P + 10000 both free on loopback, distinct from each other and from `taken`. */
async function clusterPorts(count: number, taken: Set<number>): Promise<number[]> {
  const ports: number[] = [];
  for (let attempt = 0; ports.length < count; attempt++) {
    if (attempt > 2000) throw new Error('Redis Cluster: found no free port pairs (P and P + 10000) on loopback');
    const port = LOWEST_PORT + Math.floor(Math.random() * (HIGHEST_PORT - LOWEST_PORT));
    const clash = [...taken, ...ports].some((p) => Math.abs(p - port) < 2 || Math.abs(p + BUS_OFFSET - port) < 2);
    if (clash) continue;
    if ((await freeOn(port)) && (await freeOn(port + BUS_OFFSET))) ports.push(port);
  }
  return ports;
}

export function parseClusterNodes(text: string): ClusterNodeLine[] {
  const lines: ClusterNodeLine[] = [];
  for (const line of text.trim().split('\n')) {
    const [id, addressField, flagsField, primary, , , , , ...slotFields] = line.trim().split(' ');
    if (!id || !addressField || !flagsField) continue;
    const slots: Array<[number, number]> = [];
    for (const field of slotFields) {
      if (field.startsWith('[')) continue; // a slot being migrated
      const [from = '', to = from] = field.split('-');
      slots.push([Number(from), Number(to)]);
    }
    lines.push({
      id,
      address: addressField.split('@')[0] ?? addressField,
      flags: flagsField.split(','),
      primaryId: !primary || primary === '-' ? undefined : primary,
      slots,
    });
  }
  return lines;
}

const live = new Set<RedisClusterProcess>();
process.once('exit', () => {
  for (const cluster of live) cluster.stopNow();
});
// A test run stopped by a signal emits no 'exit': the nodes go first, then the signal does what it would have done.
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    for (const cluster of live) cluster.stopNow();
    process.kill(process.pid, signal);
  });
}

/**
 * A Redis Cluster of a suite's own: six `redis-server --cluster-enabled yes` processes on loopback (three primaries,
 * three replicas), on free ports, keeping nothing on disk but their nodes.conf in a temporary directory. A suite may
 * SIGKILL any of them; the cluster node timeout is 2 s, so a replica takes over a killed primary in a few seconds.
 */
export class RedisClusterProcess {
  /** `host:port` of every node, in start order. */
  readonly nodes: string[] = [];
  private readonly children = new Map<number, ChildProcess>();
  private readonly portOfPid = new Map<number, number>();
  private readonly dirs: string[] = [];
  private admin?: Redis;

  /**
   * Starts one. Ports are chosen free but not held until redis-server binds them: another suite (or helper) may take
   * one meanwhile, so a failed start is tried again on new ports, up to three times.
   */
  static async start(): Promise<RedisClusterProcess> {
    for (let attempt = 1; ; attempt++) {
      const cluster = new RedisClusterProcess();
      live.add(cluster);
      try {
        await cluster.launch();
        return cluster;
      } catch (error) {
        await cluster.stop();
        if (attempt === START_ATTEMPTS) throw error;
      }
    }
  }

  /** PIDs of the node processes, in the order of `nodes`. */
  get pids(): number[] {
    return [...this.children.keys()];
  }

  /** The PID of the node at `host:port`. */
  pidOf(address: string): number {
    const port = Number(address.split(':')[1]);
    for (const [pid, p] of this.portOfPid) if (p === port) return pid;
    throw new Error(`Redis Cluster: no node at ${address}`);
  }

  private async launch(): Promise<void> {
    const ports = await clusterPorts(6, new Set());
    await Promise.all(ports.map((port) => this.spawnNode(port)));
    const create = ['--cluster', 'create', ...this.nodes, '--cluster-replicas', '1', '--cluster-yes'];
    try {
      await run('redis-cli', create, { timeout: START_TIMEOUT_MS });
    } catch (error) {
      throw new Error(`Redis Cluster: redis-cli --cluster create failed (${(error as Error).message}); ${MISSING_HINT}`);
    }
    await this.waitUntilReady(START_TIMEOUT_MS);
  }

  private async spawnNode(port: number): Promise<void> {
    const dir = mkdtempSync(join(tmpdir(), 'p2p-redis-cluster-'));
    this.dirs.push(dir);
    const args = [
      '--port', String(port), '--bind', HOST, '--daemonize', 'no', '--dir', dir,
      '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', String(NODE_TIMEOUT_MS),
      '--save', '', '--appendonly', 'no', '--protected-mode', 'no',
    ]; // prettier-ignore
    const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000));
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    let failed: Error | undefined;
    child.once('error', (error) => (failed = error));
    this.nodes.push(`${HOST}:${port}`);
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      if (child.pid !== undefined && !this.children.has(child.pid)) {
        this.children.set(child.pid, child);
        this.portOfPid.set(child.pid, port);
      }
      if (failed || child.exitCode !== null)
        throw new Error(
          `Redis Cluster: redis-server on port ${port} did not start (${failed?.message ?? `exit ${child.exitCode}`}); ${MISSING_HINT}:\n${output}`,
        );
      if (await this.pings(port)) return;
      if (Date.now() > deadline) throw new Error(`Redis Cluster: redis-server on ${port} did not answer:\n${output}`);
      await sleep(50);
    }
  }

  private async pings(port: number): Promise<boolean> {
    const client = plainClient(port);
    try {
      return (await client.ping()) === 'PONG';
    } catch {
      return false;
    } finally {
      client.disconnect();
    }
  }

  /** The nodes still running, as `host:port`. */
  get liveNodes(): string[] {
    return [...this.children]
      .filter(([, child]) => child.exitCode === null && child.signalCode === null)
      .map(([pid]) => `${HOST}:${this.portOfPid.get(pid)}`);
  }

  /** CLUSTER NODES as a live node sees it. */
  async clusterNodes(): Promise<ClusterNodeLine[]> {
    const text = (await this.adminClient().call('CLUSTER', 'NODES')) as string;
    return parseClusterNodes(text);
  }

  /** The primaries serving slots, as `host:port` (failed ones left out). */
  async primaries(): Promise<string[]> {
    return (await this.clusterNodes())
      .filter((n) => n.flags.includes('master') && !n.flags.includes('fail') && n.slots.length > 0)
      .map((n) => n.address);
  }

  async replicas(): Promise<string[]> {
    return (await this.clusterNodes()).filter((n) => n.flags.includes('slave') && !n.flags.includes('fail')).map((n) => n.address);
  }

  async slotOf(key: string): Promise<number> {
    return Number(await this.adminClient().call('CLUSTER', 'KEYSLOT', key));
  }

  async primaryOfSlot(slot: number): Promise<string> {
    const nodes = await this.clusterNodes();
    const owner = nodes.find(
      (n) => n.flags.includes('master') && !n.flags.includes('fail') && n.slots.some(([from, to]) => slot >= from && slot <= to),
    );
    if (!owner) throw new Error(`Redis Cluster: no primary serves slot ${slot}`);
    return owner.address;
  }

  async primaryOfKey(key: string): Promise<string> {
    return this.primaryOfSlot(await this.slotOf(key));
  }

  /** SIGKILL: the node is gone at once, as in a crash. */
  async kill(pid: number): Promise<void> {
    const child = this.children.get(pid);
    if (!child) throw new Error(`Redis Cluster: no node with PID ${pid}`);
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
    if (this.admin && this.portOfPid.get(pid) === Number(this.admin.options.port)) {
      this.admin.disconnect();
      this.admin = undefined;
    }
  }

  /**
   * Waits until every slot is served again by a live primary (a replica took over from `killed`, `host:port`) and
   * every live node says cluster_state:ok.
   */
  async waitForFailover(killed: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const nodes = await this.clusterNodes();
        const owners = nodes.filter((n) => n.flags.includes('master') && !n.flags.includes('fail'));
        if (!owners.some((n) => n.address === killed) && (await this.everyNodeReady())) return;
      } catch {
        // a node busy in the failover; ask again
      }
      if (Date.now() > deadline) throw new Error(`Redis Cluster: no failover of ${killed} within ${timeoutMs} ms`);
      await sleep(200);
    }
  }

  private async waitUntilReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await this.everyNodeReady().catch(() => false))) {
      if (Date.now() > deadline) throw new Error(`Redis Cluster: not ready within ${timeoutMs} ms`);
      await sleep(200);
    }
  }

  /** cluster_state:ok and all 16384 slots covered on every live node, and every live replica linked to its primary. */
  private async everyNodeReady(): Promise<boolean> {
    for (const address of this.liveNodes) {
      const client = plainClient(Number(address.split(':')[1]));
      try {
        const info = (await client.call('CLUSTER', 'INFO')) as string;
        if (!info.includes('cluster_state:ok') || !info.includes(`cluster_slots_ok:${SLOTS}`)) return false;
        const replication = await client.info('replication');
        if (replication.includes('role:slave') && !replication.includes('master_link_status:up')) return false;
      } finally {
        client.disconnect();
      }
    }
    return true;
  }

  /** A plain connection to a live node, for CLUSTER commands. */
  private adminClient(): Redis {
    if (this.admin && this.liveNodes.includes(`${HOST}:${this.admin.options.port}`)) return this.admin;
    this.admin?.disconnect();
    const address = this.liveNodes[0];
    if (!address) throw new Error('Redis Cluster: no node is running');
    this.admin = plainClient(Number(address.split(':')[1]));
    return this.admin;
  }

  /** Kills every node and deletes their directories. */
  async stop(): Promise<void> {
    this.admin?.disconnect();
    this.admin = undefined;
    await Promise.all(this.pids.map((pid) => this.kill(pid)));
    this.removeDirs();
    live.delete(this);
  }

  /** `stop`, synchronously (on process exit). */
  stopNow(): void {
    for (const child of this.children.values()) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    this.removeDirs();
  }

  private removeDirs(): void {
    for (const dir of this.dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  }
}

function plainClient(port: number): Redis {
  const client = new Redis({
    host: HOST,
    port,
    connectTimeout: 2000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    disconnectTimeout: 50,
  });
  client.on('error', () => undefined);
  return client;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
