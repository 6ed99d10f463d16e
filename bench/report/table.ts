/**
 * The figures as an aligned text table (stdout) and as a Markdown table (docs/benchmarks.md). bare and gateway are medians over
 * rounds; gw/bare is the median of the per-round ratios, and range their lowest and highest.
 */
import type { Figure } from './figures.js';

export function formatNumber(value: number | null): string {
  if (value === null || !Number.isFinite(value)) return '-';
  const abs = Math.abs(value);
  const digits = abs >= 100 || Number.isInteger(value) ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function verdict(figure: Figure): string {
  if (!figure.target) return '';
  const mark = figure.met === undefined ? '?' : figure.met ? 'met' : 'MISSED';
  return `${figure.target.text} ${mark}`;
}

function rows(figures: Figure[]): string[][] {
  return figures.map((f) => [
    f.unit ? `${f.label} (${f.unit})` : f.label,
    formatNumber(f.bare),
    formatNumber(f.gateway),
    f.ratio === null ? '-' : `${f.ratio.toFixed(2)}x`,
    f.ratioRange === null || f.ratioRange[0] === f.ratioRange[1] ? '' : `${f.ratioRange[0].toFixed(2)}-${f.ratioRange[1].toFixed(2)}`,
    verdict(f),
  ]);
}

const HEADER = ['figure (median of rounds)', 'bare', 'gateway', 'gw/bare', 'range', 'target'];

export function textTable(figures: Figure[]): string {
  const all = [HEADER, ...rows(figures)];
  const widths = HEADER.map((_, c) => Math.max(...all.map((row) => row[c]!.length)));
  const line = (row: string[]) => row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
  return [line(HEADER), widths.map((w) => '-'.repeat(w)).join('  '), ...rows(figures).map(line)].join('\n');
}

export function markdownTable(figures: Figure[]): string {
  const line = (row: string[]) => `| ${row.join(' | ')} |`;
  return [line(HEADER), '|---|--:|--:|--:|--:|---|', ...rows(figures).map(line)].join('\n');
}
