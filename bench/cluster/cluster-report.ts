/**
 * The cluster benchmark's figures: per configuration the median over rounds, and cross-node / single-node as the median
 * of the per-round ratios (each pair measured back to back, under like noise) with their range.
 */
import type { AckResult, RelayResult } from '../workloads.js';
import { formatNumber } from '../report/table.js';

export type ClusterConfig = 'memory' | 'single' | 'cross';
export const CONFIGS: ClusterConfig[] = ['memory', 'single', 'cross'];
export const CONFIG_TITLES: Record<ClusterConfig, string> = {
  memory: 'in memory, 1 node',
  single: 'Redis, 1 node',
  cross: 'Redis, cross-node (3 nodes)',
};

/** One configuration's results in one round; redisBusy: Redis CPU over wall time in each saturated window. */
export interface ConfigResult {
  relay?: RelayResult;
  ack?: AckResult;
  redisBusy: { relay?: number | null; ack?: number | null };
  /** Each node's CPU (µs) over the measured window, in node order: source, target, bystander (cross). */
  nodeCpuMicros: { relay?: number[] | null; ack?: number[] | null };
}
export type ClusterRounds = Array<Partial<Record<ClusterConfig, ConfigResult>>>;

export interface ClusterFigure {
  key: string;
  label: string;
  unit: string;
  better: 'higher' | 'lower';
  values: Record<ClusterConfig, number | null>;
  /** cross / single: median of per-round ratios, and their range. */
  ratio: number | null;
  ratioRange: [number, number] | null;
  target?: Target;
  met?: boolean;
}

/** A bound on cross/single (`ratio`), or on the cross-node value itself (`crossAtMost`). */
type Target = { ratio: number; text: string } | { crossAtMost: number; text: string };

interface Def {
  key: string;
  label: string;
  unit: string;
  better: 'higher' | 'lower';
  read: (r: ConfigResult) => number | null | undefined;
  target?: Target;
  /** No cross/single ratio: Redis does next to nothing for a single node, so the ratio says nothing. */
  noRatio?: boolean;
}

const THROUGHPUT: Target = { ratio: 0.6, text: '>= 0.6x single' };
const GATEWAY_CPU: Target = { ratio: 1.6, text: '<= 1.6x single' };
const BYSTANDER: Target = { crossAtMost: 5, text: '<= 5%' };

/** The bystander's (third node's) CPU as a share of the receiving (second) node's, in %, over the same window. */
function bystanderShare(cpu: number[] | null | undefined): number | null {
  if (!cpu || cpu.length < 3 || !(cpu[1]! > 0)) return null;
  return (cpu[2]! / cpu[1]!) * 100;
}

/** How busy node `index` was over the window, in % of one core, from the summed busy share. */
function nodeBusy(busy: number | null | undefined, cpu: number[] | null | undefined, index: number): number | null {
  if (typeof busy !== 'number' || !cpu || cpu.length <= index) return null;
  const total = cpu.reduce((a, b) => a + b, 0);
  return total > 0 ? (busy * cpu[index]! * 100) / total : null;
}

/** The share of the summed gateway CPU per million spent by node `index`. */
function nodeCpuPerMillion(perMillion: number | null | undefined, cpu: number[] | null | undefined, index: number): number | null {
  if (typeof perMillion !== 'number' || !cpu || cpu.length <= index) return null;
  const total = cpu.reduce((a, b) => a + b, 0);
  return total > 0 ? (perMillion * cpu[index]!) / total : null;
}

/**
 * CPU of every process involved (gateway nodes, load generator, Redis) per operation, in µs: on a machine with fewer
 * cores than processes, throughput follows this rather than any one process's speed.
 */
function allCpuMicros(rate: number | undefined, ...busy: Array<number | null | undefined>): number | null {
  if (!rate || busy.some((b) => typeof b !== 'number')) return null;
  return ((busy as number[]).reduce((a, b) => a + b, 0) / rate) * 1e6;
}

function defs(offered: number): Def[] {
  const pct = (share: number | null | undefined) => (typeof share === 'number' ? share * 100 : share);
  return [
    {
      key: 'relay.max',
      label: 'relay 64 B: saturated',
      unit: 'msg/s',
      better: 'higher',
      read: (r) => r.relay?.max.deliveredPerSec,
      target: THROUGHPUT,
    },
    { key: 'relay.max.p50', label: 'relay: p50 latency, saturated', unit: 'ms', better: 'lower', read: (r) => r.relay?.max.p50Ms },
    { key: 'relay.max.p99', label: 'relay: p99 latency, saturated', unit: 'ms', better: 'lower', read: (r) => r.relay?.max.p99Ms },
    { key: 'relay.fixed.p50', label: `relay: p50 latency at ${offered}/s`, unit: 'ms', better: 'lower', read: (r) => r.relay?.fixed.p50Ms },
    { key: 'relay.fixed.p99', label: `relay: p99 latency at ${offered}/s`, unit: 'ms', better: 'lower', read: (r) => r.relay?.fixed.p99Ms },
    {
      key: 'relay.cpu',
      label: 'relay: gateway CPU per million, all nodes',
      unit: 's',
      better: 'lower',
      read: (r) => r.relay?.max.cpuSecPerMillion,
      target: GATEWAY_CPU,
    },
    {
      key: 'relay.cpu.target',
      label: 'relay: receiving node CPU per million',
      unit: 's',
      better: 'lower',
      read: (r) => nodeCpuPerMillion(r.relay?.max.cpuSecPerMillion, r.nodeCpuMicros.relay, 1),
    },
    {
      key: 'relay.bystander.busy',
      label: 'relay: bystander node busy',
      unit: '%',
      better: 'lower',
      read: (r) => nodeBusy(r.relay?.max.serverBusy, r.nodeCpuMicros.relay, 2),
      noRatio: true,
    },
    {
      key: 'relay.bystander',
      label: 'relay: bystander CPU / receiving node CPU',
      unit: '%',
      better: 'lower',
      read: (r) => bystanderShare(r.nodeCpuMicros.relay),
      noRatio: true,
      target: BYSTANDER,
    },
    {
      key: 'relay.allCpu',
      label: 'relay: CPU of all processes per relay',
      unit: 'µs',
      better: 'lower',
      read: (r) => allCpuMicros(r.relay?.max.deliveredPerSec, r.relay?.max.serverBusy, r.relay?.max.loadBusy, r.redisBusy.relay ?? 0),
    },
    {
      key: 'relay.redis',
      label: 'relay: Redis CPU, saturated',
      unit: '%',
      better: 'lower',
      read: (r) => pct(r.redisBusy.relay),
      noRatio: true,
    },
    {
      key: 'ack.rate',
      label: 'relay with ack 64 B: round trips',
      unit: '/s',
      better: 'higher',
      read: (r) => r.ack?.roundTripsPerSec,
      target: THROUGHPUT,
    },
    { key: 'ack.p50', label: 'relay with ack: p50 round trip', unit: 'ms', better: 'lower', read: (r) => r.ack?.p50Ms },
    { key: 'ack.p99', label: 'relay with ack: p99 round trip', unit: 'ms', better: 'lower', read: (r) => r.ack?.p99Ms },
    {
      key: 'ack.cpu',
      label: 'relay with ack: gateway CPU per million, all nodes',
      unit: 's',
      better: 'lower',
      read: (r) => r.ack?.cpuSecPerMillion,
      target: GATEWAY_CPU,
    },
    {
      key: 'ack.cpu.target',
      label: 'relay with ack: receiving node CPU per million',
      unit: 's',
      better: 'lower',
      read: (r) => nodeCpuPerMillion(r.ack?.cpuSecPerMillion, r.nodeCpuMicros.ack, 1),
    },
    {
      key: 'ack.bystander.busy',
      label: 'relay with ack: bystander node busy',
      unit: '%',
      better: 'lower',
      read: (r) => nodeBusy(r.ack?.serverBusy, r.nodeCpuMicros.ack, 2),
      noRatio: true,
    },
    {
      key: 'ack.bystander',
      label: 'relay with ack: bystander CPU / receiving node CPU',
      unit: '%',
      better: 'lower',
      read: (r) => bystanderShare(r.nodeCpuMicros.ack),
      noRatio: true,
      target: BYSTANDER,
    },
    {
      key: 'ack.allCpu',
      label: 'relay with ack: CPU of all processes per round trip',
      unit: 'µs',
      better: 'lower',
      read: (r) => allCpuMicros(r.ack?.roundTripsPerSec, r.ack?.serverBusy, r.ack?.loadBusy, r.redisBusy.ack ?? 0),
    },
    { key: 'ack.redis', label: 'relay with ack: Redis CPU', unit: '%', better: 'lower', read: (r) => pct(r.redisBusy.ack), noRatio: true },
    {
      key: 'errors',
      label: 'errors (sum over rounds)',
      unit: '',
      better: 'lower',
      read: (r) => (r.relay?.errors ?? 0) + (r.ack?.errors ?? 0),
    },
  ];
}

export function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function numbers(values: Array<number | null | undefined>): number[] {
  return values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
}

export function computeClusterFigures(rounds: ClusterRounds, offered: number): ClusterFigure[] {
  return defs(offered).map((def) => {
    const sum = def.key === 'errors';
    const noRatio = sum || def.noRatio === true;
    const values = {} as Record<ClusterConfig, number | null>;
    for (const config of CONFIGS) {
      const per = numbers(rounds.map((round) => (round[config] ? def.read(round[config]) : undefined)));
      values[config] = sum ? per.reduce((a, b) => a + b, 0) : median(per);
    }
    const ratios = noRatio
      ? []
      : numbers(
          rounds.map((round) => {
            const cross = round.cross && def.read(round.cross);
            const single = round.single && def.read(round.single);
            return typeof cross === 'number' && typeof single === 'number' && single > 0 ? cross / single : undefined;
          }),
        );
    const ratio = median(ratios);
    const figure: ClusterFigure = {
      key: def.key,
      label: def.label,
      unit: def.unit,
      better: def.better,
      values,
      ratio,
      ratioRange: ratios.length ? [Math.min(...ratios), Math.max(...ratios)] : null,
    };
    const target = def.target;
    if (target) {
      figure.target = target;
      if ('crossAtMost' in target) {
        if (values.cross !== null) figure.met = values.cross <= target.crossAtMost;
      } else if (ratio !== null) {
        figure.met = def.better === 'higher' ? ratio >= target.ratio : ratio <= target.ratio;
      }
    }
    return figure;
  });
}

const HEADER = ['figure (median of rounds)', ...CONFIGS.map((c) => CONFIG_TITLES[c]), 'cross/single', 'range', 'target'];

function rows(figures: ClusterFigure[]): string[][] {
  return figures.map((f) => [
    f.unit ? `${f.label} (${f.unit})` : f.label,
    ...CONFIGS.map((c) => formatNumber(f.values[c])),
    f.ratio === null ? '-' : `${f.ratio.toFixed(2)}x`,
    f.ratioRange === null || f.ratioRange[0] === f.ratioRange[1] ? '' : `${f.ratioRange[0].toFixed(2)}-${f.ratioRange[1].toFixed(2)}`,
    f.target ? `${f.target.text} ${f.met === undefined ? '?' : f.met ? 'met' : 'MISSED'}` : '',
  ]);
}

export function clusterTextTable(figures: ClusterFigure[]): string {
  const all = [HEADER, ...rows(figures)];
  const widths = HEADER.map((_, c) => Math.max(...all.map((row) => row[c]!.length)));
  const line = (row: string[]) => row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
  return [line(HEADER), widths.map((w) => '-'.repeat(w)).join('  '), ...rows(figures).map(line)].join('\n');
}

export function clusterMarkdownTable(figures: ClusterFigure[]): string {
  const line = (row: string[]) => `| ${row.join(' | ')} |`;
  return [line(HEADER), '|---|--:|--:|--:|--:|--:|---|', ...rows(figures).map(line)].join('\n');
}
