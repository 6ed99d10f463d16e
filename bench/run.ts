/**
 * The benchmark: the bare relay and the sample gateway as separate processes, driven in turn by the load generator
 * (its own process) over several rounds, alternating which goes first. Prints the medians and ratios, writes
 * bench/results/latest.{json,md,svg}.
 *   npm run bench                  full run (~8 min on 2 cores)
 *   npm run bench -- --short       smoke run (< 1 min), written to bench/results/short.*
 *   npm run bench -- --rounds 5    more rounds
 *   npm run bench -- --only relay64,ack   a subset (relay64 relay1k ack handshakes clients5k clients10k, and
 *                                         pairunpair: the pair + unpair half of handshakes alone, in no other run)
 *   npm run bench -- --profile [--server bare] [--only pairunpair]   the gateway (or the bare relay) under
 *                                         `node --cpu-prof`, summarised (relay64, ack and handshakes unless --only)
 *   npm run bench -- --no-pin      let the OS place the processes instead of taskset (server core 0, load core 1)
 *   npm run bench -- --rerender latest   redraw bench/results/latest.{json,md,svg} from its rounds, measuring nothing
 *   npm run bench -- --default-limits   the gateway with its default per-connection rate limits (see gateway-server.ts)
 */
import { loadavg } from 'node:os';
import { runLoad } from './harness/load-process.js';
import { describeMachine } from './harness/machine.js';
import { watchOtherWork } from './harness/machine-load.js';
import { pinningEnabled } from './harness/pinning.js';
import { FULL_PLAN, type Plan, SHORT_PLAN, fitToFileLimit, stepsOf } from './harness/plan.js';
import { profileServer } from './harness/profile-server.js';
import { Progress } from './harness/progress.js';
import { type ServerKind, ServerProcess } from './harness/server-process.js';
import type { RoundResults } from './report/figures.js';
import { readReport, writeReport } from './report/write-report.js';

function option(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

async function measure(plan: Plan, progress: Progress): Promise<{ rounds: RoundResults; failures: string[] }> {
  const rounds: RoundResults = [];
  const failures: string[] = [];
  for (let r = 0; r < plan.rounds; r++) {
    // The gateway with metrics on runs right beside the gateway without (the cost figure is their ratio), in turn first.
    const order: ServerKind[] = r % 2 === 0 ? ['bare', 'gateway', 'metrics'] : ['metrics', 'gateway', 'bare'];
    const gatewayEnv: Record<string, string> = process.argv.includes('--default-limits') ? { BENCH_LIMITS: 'default' } : {};
    const servers: Record<ServerKind, ServerProcess> = {
      bare: new ServerProcess('bare'),
      gateway: new ServerProcess('gateway', { env: gatewayEnv }),
      metrics: new ServerProcess('metrics', { env: { ...gatewayEnv, BENCH_METRICS: '1' } }),
    };
    const round: RoundResults[number] = { bare: {}, gateway: {}, metrics: {} };
    rounds.push(round);
    const withMetrics = plan.measurements.some((m) => m.withMetrics);
    try {
      await servers.bare.start();
      await servers.gateway.start();
      if (withMetrics) await servers.metrics.start();
      for (const m of plan.measurements) {
        if (m.rounds !== undefined && r >= m.rounds) continue;
        for (const kind of order) {
          if (kind === 'metrics' && !m.withMetrics) continue;
          const server = servers[kind];
          progress.step++;
          const where = `round ${r + 1}/${plan.rounds} · ${m.title} · ${kind}`;
          progress.log(where);
          try {
            if (m.freshServer) {
              await server.stop();
              await server.start();
            }
            await Promise.all([servers.bare.quiesce(), servers.gateway.quiesce(), ...(withMetrics ? [servers.metrics.quiesce()] : [])]);
            round[kind]![m.name] = await runLoad(server, m.spec, (text) => progress.log(`${where}: ${text}`));
          } catch (error) {
            const message = error instanceof Error ? error.message : String(error);
            failures.push(`${where}: ${message}`);
            progress.log(`${where}: FAILED ${message}`);
            await server.stop();
            await server.start();
          }
        }
      }
    } finally {
      await Promise.all([servers.bare.stop(), servers.gateway.stop(), servers.metrics.stop()]);
    }
  }
  return { rounds, failures };
}

async function main(): Promise<number> {
  const short = process.argv.includes('--short');
  const rerender = option('--rerender');
  if (rerender) {
    // Redraws a past run's table, Markdown and chart with the current report code, without measuring again.
    writeReport(readReport(rerender), rerender);
    return 0;
  }
  const only = option('--only')?.split(',');
  if (process.argv.includes('--profile')) return profileServer(option('--server') === 'bare' ? 'bare' : 'gateway', short, only);

  const machine = describeMachine();
  const base = short ? SHORT_PLAN : FULL_PLAN;
  const rounds = Number(option('--rounds') ?? base.rounds);
  const measurements = only ? base.measurements.filter((m) => only.includes(m.name)) : base.measurements.filter((m) => !m.onRequest);
  const { plan, warning } = fitToFileLimit({ rounds, measurements }, machine.openFileLimit);
  if (warning) process.stderr.write(`warning: ${warning}\n`);
  const progress = new Progress(stepsOf(plan));
  progress.log(
    `${short ? 'short' : 'full'} run: ${plan.rounds} round(s), ${machine.nproc} cores, ${machine.cpuModel}, node ${machine.node}`,
  );

  // Other work on a shared machine moves the figures; say how much of the CPU it took during the run.
  const loadAverage = { atStart: loadavg(), atEnd: [] as number[] };
  const otherWork = watchOtherWork();
  const { rounds: results, failures } = await measure(plan, progress);
  const otherCpuShare = otherWork();
  loadAverage.atEnd = loadavg();
  const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  const pinning = pinningEnabled() ? 'server on core 0, load on core 1' : 'not pinned';
  // Only the full run replaces the committed results; smoke and partial runs are written beside them.
  // `--only pairunpair` alone (issue 24's figure) keeps results of its own, beside the full run's.
  const pairUnpairOnly = only?.length === 1 && only[0] === 'pairunpair';
  const stem = short
    ? 'short'
    : pairUnpairOnly
      ? option('--rounds')
        ? 'pairunpair-partial'
        : 'pairunpair'
      : only || option('--rounds')
        ? 'partial'
        : 'latest';
  writeReport(
    {
      date: new Date().toISOString(),
      command,
      machine,
      pinning,
      otherCpuShare,
      loadAverage,
      plan,
      figures: [],
      rounds: results,
      failures,
      warning,
    },
    stem,
  );
  for (const failure of failures) console.error(`failed: ${failure}`);
  return failures.length === 0 ? 0 : 1;
}

process.exitCode = await main();
