/** The report of a run: bench/results/<stem>.json (everything), .md (the table) and .svg (the chart). */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Machine } from '../harness/machine.js';
import type { Plan } from '../harness/plan.js';
import { type Figure, type RoundResults, computeFigures } from './figures.js';
import { type MetricsCostFigure, computeMetricsCost, metricsCostMarkdown } from './metrics-cost.js';
import { drawChart } from './svg.js';
import { markdownTable, textTable } from './table.js';

const RESULTS_DIR = fileURLToPath(new URL('../../../bench/results/', import.meta.url));

export interface Report {
  date: string;
  command: string;
  machine: Machine;
  pinning: string;
  otherCpuShare: number | null;
  loadAverage: { atStart: number[]; atEnd: number[] };
  plan: Plan;
  figures: Figure[];
  /** The gateway with metrics on against off, from the rounds that measured both. */
  metricsCost?: MetricsCostFigure[];
  rounds: RoundResults;
  failures: string[];
  warning?: string;
}

/** Computes the figures from the rounds, writes bench/results/<stem>.{json,md,svg} and prints the table. */
export function writeReport(report: Report, stem: string): void {
  const { plan, machine, command, pinning, otherCpuShare } = report;
  const names = plan.measurements.map((m) => m.name);
  const offered = plan.measurements.find((m) => m.spec.kind === 'relay')?.spec;
  report.figures = computeFigures(report.rounds, names, offered?.kind === 'relay' ? offered.offeredPerSec : 0);
  report.metricsCost = computeMetricsCost(report.rounds, names);
  const cost = report.metricsCost.length > 0 ? `\n\n${metricsCostMarkdown(report.metricsCost)}` : '';
  const other = otherCpuShare === null ? '' : ` · other work took ${Math.round(otherCpuShare * 100)}% of the CPU`;
  const subtitle = `${command} · ${plan.rounds} round(s), medians · ${machine.nproc} cores ${machine.cpuModel} · node ${machine.node} · ${pinning}${other}`;
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(`${RESULTS_DIR}${stem}.json`, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(`${RESULTS_DIR}${stem}.md`, `${markdownTable(report.figures)}${cost}\n`);
  writeFileSync(`${RESULTS_DIR}${stem}.svg`, drawChart(report.figures, subtitle));
  console.log(`\n${subtitle}\n`);
  console.log(textTable(report.figures));
  if (cost) console.log(cost);
  console.log(`\nwritten: bench/results/${stem}.json, ${stem}.md, ${stem}.svg`);
}

export function readReport(stem: string): Report {
  return JSON.parse(readFileSync(`${RESULTS_DIR}${stem}.json`, 'utf8')) as Report;
}
