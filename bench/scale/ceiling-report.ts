/** bench:scale's figures for each server, the gateway/bare ratios, and bench/results/scale-<N>.{json,md}. */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Machine } from '../harness/machine.js';

export type CeilingServer = 'bare' | 'gateway';

export interface ServerRun {
  server: CeilingServer;
  clients: number;
  connected: number;
  pairings: number;
  /** Failed connections and pairings, relays not delivered, clients that lost their connection. */
  errors: number;
  connectSec: number;
  connectPerSec: number;
  /** Server CPU time per 1,000 connections while they were made. */
  connectCpuMsPer1000: number;
  pairSec: number;
  pairPerSec: number;
  relay: {
    offeredPerSec: number;
    sent: number;
    delivered: number;
    p50Ms: number;
    p99Ms: number;
    maxMs: number;
    /** The server's event-loop delay during the trickle: a stall there, rather than on the load side, shows here. */
    loopDelay: { p99Ms: number; maxMs: number };
  };
  memory: {
    baseline: { heapUsedBytes: number; rssBytes: number };
    loaded: { heapUsedBytes: number; rssBytes: number };
    heapPerClientKb: number;
    rssPerClientKb: number;
  };
  /** Connected clients by the source address they were bound to. */
  bySource: Record<string, number>;
  /** RSS of all load processes together with every client connected (no GC), for sizing a run's machine. */
  loadRssBytes: number;
}

export interface CeilingReport {
  date: string;
  command: string;
  machine: Machine;
  loads: number;
  addresses: string[];
  /** Share of the machine's CPU other work used during the run (a shared machine), and the load average. */
  otherCpuShare: number | null;
  loadAverage: { atStart: number[]; atEnd: number[] };
  runs: ServerRun[];
  failures: string[];
}

const RESULTS_DIR = fileURLToPath(new URL('../../../bench/results/', import.meta.url));

interface Row {
  label: string;
  value: (run: ServerRun) => number;
  digits: number;
  /** Highest gateway/bare ratio that meets the target, when there is one. */
  target?: number;
}

const ROWS: Row[] = [
  { label: 'clients connected', value: (r) => r.connected, digits: 0 },
  { label: 'pairings', value: (r) => r.pairings, digits: 0 },
  { label: 'heap per client after GC (KB)', value: (r) => r.memory.heapPerClientKb, digits: 2, target: 1.15 },
  { label: 'RSS per client after GC (KB)', value: (r) => r.memory.rssPerClientKb, digits: 2 },
  { label: 'heap with all clients (MB)', value: (r) => r.memory.loaded.heapUsedBytes / 2 ** 20, digits: 0 },
  { label: 'RSS with all clients (MB)', value: (r) => r.memory.loaded.rssBytes / 2 ** 20, digits: 0 },
  { label: 'connect rate (connections/s)', value: (r) => r.connectPerSec, digits: 0 },
  { label: 'server CPU per 1,000 connections (ms)', value: (r) => r.connectCpuMsPer1000, digits: 0 },
  { label: 'pairing rate (pairings/s)', value: (r) => r.pairPerSec, digits: 0 },
  { label: 'relay trickle p50 (ms)', value: (r) => r.relay.p50Ms, digits: 2 },
  { label: 'relay trickle p99 (ms)', value: (r) => r.relay.p99Ms, digits: 2 },
  { label: 'relay trickle max (ms)', value: (r) => r.relay.maxMs, digits: 1 },
  { label: 'server event-loop delay in the trickle, p99 (ms)', value: (r) => r.relay.loopDelay.p99Ms, digits: 1 },
  { label: 'server event-loop delay in the trickle, max (ms)', value: (r) => r.relay.loopDelay.maxMs, digits: 1 },
  { label: 'relays delivered / sent', value: (r) => r.relay.delivered / Math.max(1, r.relay.sent), digits: 4 },
  { label: 'errors', value: (r) => r.errors, digits: 0 },
];

const format = (value: number, digits: number) =>
  Number.isFinite(value) ? value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : '-';

export function ceilingMarkdown(report: CeilingReport): string {
  const bare = report.runs.find((r) => r.server === 'bare');
  const gateway = report.runs.find((r) => r.server === 'gateway');
  const clients = report.runs[0]?.clients ?? 0;
  const relay = report.runs[0]?.relay;
  const lines = [
    `\`${report.command}\` · ${report.date.slice(0, 16)}Z · ${clients.toLocaleString('en-US')} clients ` +
      `(${(clients / 2).toLocaleString('en-US')} pairs) on one server process, over ${report.loads} load process(es) ` +
      `from ${report.addresses.length} source addresses (${report.addresses[0]}–${report.addresses.at(-1)}) · relay trickle ` +
      `${relay?.offeredPerSec ?? 0}/s, ${relay?.sent ?? 0} relays · ${report.machine.nproc} cores ${report.machine.cpuModel}, ` +
      `${report.machine.memoryGiB} GiB, node ${report.machine.node}, \`ulimit -n\` ${report.machine.openFileLimit} · ` +
      `other work used ${report.otherCpuShare === null ? '?' : `${Math.round(report.otherCpuShare * 100)}%`} of the CPU, ` +
      `load average ${report.loadAverage.atStart[0]?.toFixed(1)} → ${report.loadAverage.atEnd[0]?.toFixed(1)}`,
    '',
    '| figure | bare Socket.IO | gateway | gw/bare | target |',
    '|---|--:|--:|--:|---|',
  ];
  for (const row of ROWS) {
    const b = bare ? row.value(bare) : Number.NaN;
    const g = gateway ? row.value(gateway) : Number.NaN;
    const ratio = g / b;
    const target =
      row.target === undefined || !Number.isFinite(ratio) ? '' : `<= ${row.target}x bare ${ratio <= row.target ? 'met' : 'MISSED'}`;
    const shown = Number.isFinite(ratio) ? `${format(ratio, 2)}x` : '-';
    lines.push(`| ${row.label} | ${format(b, row.digits)} | ${format(g, row.digits)} | ${shown} | ${target} |`);
  }
  // The kernel's own word that the clients came from several source addresses (localAddress reached the socket).
  for (const run of report.runs) {
    lines.push('', `${run.server}: the load processes' RSS together, all clients connected: ${format(run.loadRssBytes / 2 ** 20, 0)} MB`);
    const sources = Object.entries(run.bySource).map(([address, n]) => `${address} ${n.toLocaleString('en-US')}`);
    lines.push('', `${run.server}: clients by source address: ${sources.join(', ')}`);
  }
  for (const failure of report.failures) lines.push('', `FAILED: ${failure}`);
  return `${lines.join('\n')}\n`;
}

/** Writes bench/results/scale-<N>.{json,md} (scale-100k, scale-19500); returns the Markdown. */
export function writeCeilingReport(report: CeilingReport, clients: number): string {
  const stem = `scale-${clients % 1000 === 0 ? `${clients / 1000}k` : clients}`;
  const markdown = ceilingMarkdown(report);
  writeFileSync(`${RESULTS_DIR}${stem}.md`, markdown);
  writeFileSync(`${RESULTS_DIR}${stem}.json`, `${JSON.stringify(report, null, 2)}\n`);
  return markdown;
}
