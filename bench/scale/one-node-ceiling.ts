/**
 * One node's ceiling: how many connected clients one server process holds, and what each costs it. N clients
 * (N/2 pairs) connect to one server, spread over several load processes and several 127.0.0.x source addresses (one
 * source address has only the ephemeral port range, ~28k ports, towards one server port); all pair; a trickle of relays
 * runs over random pairs; the server's heap and RSS after GC, against its own baseline before the clients, give the
 * bytes per client. The gateway (bench/gateway-server.ts) and bare Socket.IO (bench/bare-relay.ts) run one after the
 * other in the same run, on the same clients. Not in CI.
 *   npm run bench:scale                       100,000 clients (needs `ulimit -n` >= 100,500)
 *   npm run bench:scale -- --clients 20000    fewer (an even count)
 * Other options: --loads K (load processes; default one per 12,500 clients), --addresses A (source addresses
 * 127.0.0.1..A; default 8), --concurrency C (connections in flight per load process; default 50), --relay-rate R
 * (relays/s; default 200), --relay-seconds S (default 20), --servers bare,gateway. Writes bench/results/scale-<N>.{json,md}.
 */
import { loadavg } from 'node:os';
import { describeMachine } from '../harness/machine.js';
import { watchOtherWork } from '../harness/machine-load.js';
import { ServerProcess } from '../harness/server-process.js';
import { LatencySamples } from '../load/latency.js';
import { checkLimits } from './ceiling-limits.js';
import { CeilingLoadProcess } from './ceiling-load.process.js';
import { type CeilingReport, type CeilingServer, type ServerRun, writeCeilingReport } from './ceiling-report.js';
import type { CeilingLoadArgs, ConnectOutcome, PairOutcome, RelayOutcome } from './ceiling-types.js';

/** Heap ceiling of the server and of each load process: 100k clients need more than Node's default on some machines. */
const HEAP_FLAGS = ['--max-old-space-size=8192'];

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  if (at < 0) return fallback;
  const value = Number(process.argv[at + 1]);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} takes a positive whole number, not ${process.argv[at + 1]}`);
  return value;
}

interface Settings {
  clients: number;
  loads: number;
  addresses: string[];
  concurrency: number;
  relayRate: number;
  relaySeconds: number;
  servers: CeilingServer[];
}

function readSettings(): Settings {
  const clients = option('--clients', 100_000);
  if (clients % 2 !== 0 || clients < 2) throw new Error(`--clients must be an even count (pairs), not ${clients}`);
  const loads = option('--loads', Math.ceil(clients / 12_500));
  if (clients / loads < 2) throw new Error(`--loads ${loads} leaves a load process without a pair`);
  const addressCount = option('--addresses', 8);
  if (addressCount > 254) throw new Error('--addresses goes up to 254 (127.0.0.1..127.0.0.254)');
  const at = process.argv.indexOf('--servers');
  const servers = (at >= 0 ? (process.argv[at + 1] ?? '') : 'bare,gateway').split(',') as CeilingServer[];
  if (servers.length === 0 || servers.some((s) => s !== 'bare' && s !== 'gateway'))
    throw new Error('--servers takes bare, gateway or both');
  return {
    clients,
    loads,
    addresses: Array.from({ length: addressCount }, (_, i) => `127.0.0.${i + 1}`),
    concurrency: option('--concurrency', 50),
    relayRate: option('--relay-rate', 200),
    relaySeconds: option('--relay-seconds', 20),
    servers,
  };
}

/** Each load process's share: an even count, so that every pair sits in one process. */
function shares(clients: number, loads: number): { first: number; count: number }[] {
  const each = Math.floor(clients / 2 / loads) * 2;
  return Array.from({ length: loads }, (_, i) => ({ first: i * each, count: i === loads - 1 ? clients - i * each : each }));
}

const log = (text: string) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${text}\n`);

async function measure(kind: CeilingServer, settings: Settings): Promise<ServerRun> {
  const server = new ServerProcess(kind, { pinned: false, nodeFlags: HEAP_FLAGS, startTimeoutMs: 60_000, env: { BENCH_LOOP_DELAY: '1' } });
  await server.start();
  const loads = shares(settings.clients, settings.loads).map((share, i) => {
    const args: CeilingLoadArgs = {
      url: server.url,
      prefix: `sc${process.pid}${kind}`,
      ...share,
      addresses: settings.addresses,
      concurrency: settings.concurrency,
    };
    return new CeilingLoadProcess(args, (text) => log(`${kind}, load ${i + 1}/${settings.loads}: ${text}`), HEAP_FLAGS);
  });
  try {
    await loads[0]!.phase({ type: 'warm' });
    await server.quiesce();
    const baseline = await server.stats(true);
    log(
      `${kind}: baseline heap ${(baseline.heapUsedBytes / 2 ** 20).toFixed(1)} MB, RSS ${(baseline.rssBytes / 2 ** 20).toFixed(1)} MB; connecting`,
    );

    const beforeConnect = await server.stats(false);
    const connectStart = performance.now();
    const connects = await Promise.all(loads.map((load) => load.phase<ConnectOutcome>({ type: 'connect' })));
    const connectSec = (performance.now() - connectStart) / 1000;
    const afterConnect = await server.stats(false);
    const connected = connects.reduce((sum, c) => sum + c.connected, 0);
    log(`${kind}: ${connected} connected in ${connectSec.toFixed(1)} s; pairing`);

    const pairStart = performance.now();
    const pairs = await Promise.all(loads.map((load) => load.phase<PairOutcome>({ type: 'pair' })));
    const pairSec = (performance.now() - pairStart) / 1000;
    const pairings = pairs.reduce((sum, p) => sum + p.pairings, 0);
    log(`${kind}: ${pairings} pairings in ${pairSec.toFixed(1)} s; relay trickle, ${settings.relayRate}/s for ${settings.relaySeconds} s`);

    await server.stats(false); // starts the event-loop delay window of the trickle
    const relays = await Promise.all(
      loads.map((load) =>
        load.phase<RelayOutcome>({ type: 'relay', perSec: settings.relayRate / settings.loads, seconds: settings.relaySeconds }),
      ),
    );
    const latency = new LatencySamples();
    for (const relay of relays) for (const ms of relay.latenciesMs) latency.add(ms);
    const sent = relays.reduce((sum, r) => sum + r.sent, 0);
    const delivered = relays.reduce((sum, r) => sum + r.delivered, 0);
    const loopDelay = (await server.stats(false)).loopDelay ?? { p99Ms: Number.NaN, maxMs: Number.NaN };

    const loaded = await server.stats(true);
    const perClientKb = (key: 'heapUsedBytes' | 'rssBytes') => (loaded[key] - baseline[key]) / settings.clients / 1024;
    const bySource: Record<string, number> = {};
    for (const c of connects) for (const [address, n] of Object.entries(c.bySource)) bySource[address] = (bySource[address] ?? 0) + n;
    const errors =
      connects.reduce((sum, c) => sum + c.errors, 0) +
      pairs.reduce((sum, p) => sum + p.errors, 0) +
      (sent - delivered) +
      relays.reduce((sum, r) => sum + r.disconnects, 0);
    return {
      server: kind,
      clients: settings.clients,
      connected,
      pairings,
      errors,
      connectSec,
      connectPerSec: connected / connectSec,
      connectCpuMsPer1000: (afterConnect.cpuMicros - beforeConnect.cpuMicros) / 1000 / (connected / 1000),
      pairSec,
      pairPerSec: pairings / pairSec,
      relay: {
        offeredPerSec: settings.relayRate,
        sent,
        delivered,
        p50Ms: latency.percentile(50),
        p99Ms: latency.percentile(99),
        maxMs: latency.percentile(100),
        loopDelay,
      },
      memory: {
        baseline: { heapUsedBytes: baseline.heapUsedBytes, rssBytes: baseline.rssBytes },
        loaded: { heapUsedBytes: loaded.heapUsedBytes, rssBytes: loaded.rssBytes },
        heapPerClientKb: perClientKb('heapUsedBytes'),
        rssPerClientKb: perClientKb('rssBytes'),
      },
      bySource,
      loadRssBytes: relays.reduce((sum, r) => sum + r.rssBytes, 0),
    };
  } finally {
    await Promise.all(loads.map((load) => load.close()));
    await server.stop();
  }
}

async function main(): Promise<number> {
  const settings = readSettings();
  const problems = checkLimits({ clients: settings.clients, loads: settings.loads, addresses: settings.addresses.length });
  if (problems.length > 0) {
    for (const problem of problems) process.stderr.write(`bench:scale cannot run: ${problem}\n`);
    return 2;
  }
  const machine = describeMachine();
  log(
    `${settings.clients} clients, ${settings.loads} load process(es), source addresses ${settings.addresses[0]}..${settings.addresses.at(-1)}, ` +
      `${machine.nproc} cores, node ${machine.node}`,
  );
  const loadAverage = { atStart: loadavg(), atEnd: [] as number[] };
  const otherWork = watchOtherWork();
  const runs: ServerRun[] = [];
  const failures: string[] = [];
  for (const kind of settings.servers) {
    try {
      runs.push(await measure(kind, settings));
    } catch (error) {
      failures.push(`${kind}: ${error instanceof Error ? error.message : String(error)}`);
      log(`${kind}: FAILED ${failures.at(-1)}`);
    }
  }
  const report: CeilingReport = {
    date: new Date().toISOString(),
    command: `npm run bench:scale${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    machine,
    loads: settings.loads,
    addresses: settings.addresses,
    otherCpuShare: otherWork(),
    loadAverage: { ...loadAverage, atEnd: loadavg() },
    runs,
    failures,
  };
  process.stdout.write(writeCeilingReport(report, settings.clients));
  return failures.length === 0 && runs.every((run) => run.errors === 0) ? 0 : 1;
}

try {
  process.exitCode = await main();
} catch (error) {
  process.stderr.write(`bench:scale: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 2;
}
