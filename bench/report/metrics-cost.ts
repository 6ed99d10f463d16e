/**
 * The cost of the metrics: the gateway with its Prometheus metrics on against the same gateway with them off,
 * measured back to back in each round (run.ts), as the median of the per-round ratios. Target: relay throughput with
 * metrics on >= 0.97x of metrics off.
 */
import type { WorkloadResult } from '../workloads.js';
import { type RoundResults, median } from './figures.js';
import { formatNumber } from './table.js';

export interface MetricsCostFigure {
  label: string;
  unit: string;
  off: number | null;
  on: number | null;
  ratio: number | null;
  ratioRange: [number, number] | null;
  target?: { ratio: number; text: string; met?: boolean };
}

const TARGET = 0.97;

function relayOf(results: Record<string, WorkloadResult> | undefined, name: string) {
  const result = results?.[name];
  return result?.kind === 'relay' ? result : undefined;
}

export function computeMetricsCost(rounds: RoundResults, names: string[]): MetricsCostFigure[] {
  const figures: MetricsCostFigure[] = [];
  for (const [name, title] of [
    ['relay64', 'relay 64 B'],
    ['relay1k', 'relay 1 KB'],
  ] as const) {
    if (!names.includes(name)) continue;
    const defs = [
      {
        label: `${title}: saturated`,
        unit: 'msg/s',
        read: (r?: Record<string, WorkloadResult>) => relayOf(r, name)?.max.deliveredPerSec,
        target: true,
      },
      {
        label: `${title}: server CPU per 1M relays`,
        unit: 's',
        read: (r?: Record<string, WorkloadResult>) => relayOf(r, name)?.max.cpuSecPerMillion,
        target: false,
      },
    ];
    for (const def of defs) {
      const pairs = rounds
        .map((round) => [def.read(round.gateway), def.read(round.metrics)])
        .filter((pair): pair is [number, number] => typeof pair[0] === 'number' && typeof pair[1] === 'number' && pair[0] > 0);
      if (pairs.length === 0) continue;
      const ratios = pairs.map(([off, on]) => on / off);
      const ratio = median(ratios);
      const figure: MetricsCostFigure = {
        label: def.label,
        unit: def.unit,
        off: median(pairs.map(([off]) => off)),
        on: median(pairs.map(([, on]) => on)),
        ratio,
        ratioRange: [Math.min(...ratios), Math.max(...ratios)],
      };
      if (def.target)
        figure.target = { ratio: TARGET, text: `>= ${TARGET}x metrics off`, met: ratio === null ? undefined : ratio >= TARGET };
      figures.push(figure);
    }
  }
  return figures;
}

export function metricsCostMarkdown(figures: MetricsCostFigure[]): string {
  const header = ['metrics cost (median of rounds)', 'metrics off', 'metrics on', 'on/off', 'range', 'target'];
  const line = (row: string[]) => `| ${row.join(' | ')} |`;
  const rows = figures.map((f) => [
    `${f.label} (${f.unit})`,
    formatNumber(f.off),
    formatNumber(f.on),
    f.ratio === null ? '-' : `${f.ratio.toFixed(3)}x`,
    f.ratioRange === null ? '' : `${f.ratioRange[0].toFixed(2)}-${f.ratioRange[1].toFixed(2)}`,
    f.target ? `${f.target.text} ${f.target.met === undefined ? '?' : f.target.met ? 'met' : 'MISSED'}` : '',
  ]);
  return [line(header), '|---|--:|--:|--:|--:|---|', ...rows.map(line)].join('\n');
}
