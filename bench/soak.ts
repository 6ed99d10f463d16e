/**
 * The soak: one gateway node (gateway-node.ts, default limits, a short reconnect grace) and one load process
 * (soak/soak-load.ts) whose clients keep connecting, pairing, relaying with and without ack, dropping transports and
 * resuming, and leaving, bounded in count and rate, on 127.0.0.1. Every ~10 s the gateway's heap after GC, RSS, active
 * handles and timers, listeners, store and library maps are sampled. Reports the table over time, the heap slope over
 * the second half, and the gateway before the load against after all clients left (handles, timers and listeners must
 * be back where they were). Writes bench/results/soak.{json,md}. Asserts nothing about time.
 *   npm run bench:soak                   3 minutes of load
 *   npm run bench:soak -- --minutes 10   longer
 *   npm run bench:soak -- --short        30 s smoke run, written to bench/results/soak-short.*
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describeMachine } from './harness/machine.js';
import { Progress } from './harness/progress.js';
import { sleep } from './load/latency.js';
import { runLoadProcess } from './harness/load-process.js';
import { GatewayNode } from './harness/gateway-node.process.js';
import type { Inspection } from './ipc.js';
import {
  type SoakSample,
  compare,
  describeComparison,
  heapSlopeKbPerMin,
  soakMarkdownTable,
  soakTextTable,
  verdictLine,
} from './soak/soak-report.js';
import type { SoakCounters, SoakLoadMessage, SoakSpec } from './soak/soak-types.js';

const RESULTS_DIR = fileURLToPath(new URL('../../bench/results/', import.meta.url));
const LOAD_SCRIPT = fileURLToPath(new URL('./soak/soak-load.js', import.meta.url));
const SETTLE_TIMEOUT_MS = 30_000;

function option(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

function settled(i: Inspection, openSockets: number): boolean {
  const maps = Object.values(i.internals).reduce((a, b) => a + b, 0);
  return openSockets === 0 && i.sockets === 0 && i.store.clients === 0 && i.store.pendingRequests === 0 && maps === 0;
}

async function main(): Promise<number> {
  const short = process.argv.includes('--short');
  const minutes = Number(option('--minutes') ?? (short ? 0.5 : 3));
  const everyMs = Number(option('--every') ?? (short ? 5 : 10)) * 1000;
  const warmupMs = (short ? 5 : 10) * 1000;
  const spec: SoakSpec = {
    durationMs: Math.round(minutes * 60_000),
    slots: 30,
    relayPerSec: 10,
    ackPerSec: 2,
    relayMs: [2000, 6000],
    dropChance: 0.5,
    graceMs: 2000,
  };
  const machine = describeMachine();
  const progress = new Progress(0);
  progress.log(`soak: ${minutes} min, ${spec.slots} pairs at once, ${machine.nproc} cores, ${machine.cpuModel}, node ${machine.node}`);

  const node = new GatewayNode('soak', { BENCH_LIMITS: 'default', P2P_GRACE_MS: String(spec.graceMs) });
  await node.start();
  const samples: SoakSample[] = [];
  let latest: SoakCounters | undefined;
  let loadStart = performance.now();
  const sample = async (phase: SoakSample['phase']) => {
    const stats = await node.stats(true);
    const inspection = await node.inspect();
    const s: SoakSample = {
      t: (performance.now() - loadStart) / 1000,
      phase,
      stats,
      inspection,
      ...(latest ? { counters: structuredClone(latest) } : {}),
    };
    samples.push(s);
    progress.log(
      `${phase} t=${s.t.toFixed(0)}s heap ${(stats.heapUsedBytes / 2 ** 20).toFixed(2)} MB, ${stats.openSockets} sockets, ` +
        `timers ${inspection.resources.Timeout ?? 0}${latest ? `, ${latest.sessions} sessions, ${latest.errors} errors` : ''}`,
    );
    return s;
  };
  const runLoad = (durationMs: number) =>
    runLoadProcess<SoakCounters>(LOAD_SCRIPT, [node.url, JSON.stringify({ ...spec, durationMs })], {
      probe: (gc) => node.stats(gc),
      onProgress: (text) => progress.log(text),
      onMessage: (message) => {
        if (message.type === 'counters') latest = (message as SoakLoadMessage).counters;
      },
      timeoutMs: durationMs + 120_000,
    });
  // Everyone has left; vanished clients are held for the grace period, then the gateway should be as it was.
  const settle = async () => {
    const deadline = performance.now() + spec.graceMs + SETTLE_TIMEOUT_MS;
    while (performance.now() < deadline && !settled(await node.inspect(), (await node.stats(false)).openSockets)) await sleep(250);
    await sleep(2000);
  };

  let counters: SoakCounters;
  let cold: SoakSample;
  let warm: SoakSample;
  let after: SoakSample;
  try {
    await sleep(1000);
    loadStart = performance.now() + warmupMs;
    cold = await sample('cold');
    // A short load first, so code compiled and lazily created on first use is in the baseline, not counted as growth.
    progress.log(`warm-up: ${warmupMs / 1000} s of the same load`);
    await runLoad(warmupMs);
    latest = undefined;
    await settle();
    loadStart = performance.now();
    warm = await sample('warm');
    loadStart = performance.now();
    let running = true;
    const load = runLoad(spec.durationMs).finally(() => (running = false));
    const sampler = (async () => {
      for (let k = 1; ; k++) {
        const due = loadStart + k * everyMs;
        while (running && performance.now() < due) await sleep(100);
        if (!running) return;
        await sample(performance.now() - loadStart <= spec.durationMs + 500 ? 'load' : 'drain');
      }
    })();
    counters = await load;
    latest = counters;
    await sampler;
    await settle();
    await sample('after');
    await sleep(5000);
    after = await sample('after');
  } finally {
    await node.stop();
  }

  const durationSec = spec.durationMs / 1000;
  const slopes = {
    all: heapSlopeKbPerMin(samples, durationSec),
    code: heapSlopeKbPerMin(samples, durationSec, 'code'),
    other: heapSlopeKbPerMin(samples, durationSec, 'other'),
  };
  const comparison = compare(warm.inspection, warm.stats, after.inspection, after.stats);
  const sinceCold = compare(cold.inspection, cold.stats, after.inspection, after.stats);
  const serverLog = node.lastOutput.replace('ready', '').trim();
  const verdict = verdictLine(slopes, comparison, counters, serverLog.length > 0);
  const command = `npm run bench:soak${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  const subtitle = `${command} · ${minutes} min · ${machine.nproc} cores ${machine.cpuModel} · node ${machine.node}`;
  const totals =
    `load: ${counters.sessions} sessions (${Object.entries(counters.endings)
      .map(([k, v]) => `${v} ${k}`)
      .join(', ')}), ` +
    `${counters.connections} connections, ${counters.pairings} pairings, ${counters.expectedRefusals} expected refusals, ` +
    `${counters.relaysReceived}/${counters.relaysSent} relays delivered, ${counters.acksOk} acks answered, ` +
    `acks rejected: ${JSON.stringify(counters.acksRejected)}, ${counters.drops} drops, ${counters.resumes} resumed, ` +
    `${counters.undeliveredReported} message(s) reported undelivered as a pairing ended (confirmations lost; every relay above was checked on arrival)`;
  const details = [
    totals,
    ...describeComparison(comparison, 'after warm-up'),
    ...describeComparison(sinceCold, 'at cold start').slice(0, 2),
  ];

  const stem = short ? 'soak-short' : 'soak';
  mkdirSync(RESULTS_DIR, { recursive: true });
  const report = {
    date: new Date().toISOString(),
    command,
    machine,
    spec,
    warmupMs,
    heapSlopeKbPerMin: slopes,
    comparison,
    sinceCold,
    counters,
    serverLog,
    verdict,
    samples,
  };
  writeFileSync(`${RESULTS_DIR}${stem}.json`, `${JSON.stringify(report, null, 2)}\n`);
  const errorList = counters.errorSamples.map((e) => `- ${e}`).join('\n');
  const md = [subtitle, '', soakMarkdownTable(samples), '', ...details.map((d) => `- ${d}`), '', `**${verdict}**`];
  if (errorList) md.push('', 'First load errors:', '', errorList);
  if (serverLog) md.push('', 'Gateway log:', '', '```', serverLog.slice(-2000), '```');
  writeFileSync(`${RESULTS_DIR}${stem}.md`, `${md.join('\n')}\n`);

  console.log(`\n${subtitle}\n`);
  console.log(soakTextTable(samples));
  console.log('');
  for (const d of details) console.log(d);
  for (const e of counters.errorSamples) console.error(`load error: ${e}`);
  if (serverLog) console.error(`gateway log:\n${serverLog.slice(-2000)}`);
  console.log(`\n${verdict}`);
  console.log(`written: bench/results/${stem}.json, ${stem}.md`);
  return comparison.clean && counters.errors === 0 ? 0 : 1;
}

process.exitCode = await main();
