/** The soak's samples over time, the heap slope, the before/after comparison, and their tables. */
import type { Inspection, ServerStats } from '../ipc.js';
import { formatNumber } from '../report/table.js';
import type { SoakCounters } from './soak-types.js';

export interface SoakSample {
  /** Seconds since the load started (negative before it). */
  t: number;
  /** cold: idle, before any client; warm: after a warm-up load, all left (the baseline); drain: the load's last
   * sessions ending after its time is up. */
  phase: 'cold' | 'warm' | 'load' | 'drain' | 'after';
  stats: ServerStats;
  inspection: Inspection;
  counters?: SoakCounters;
}

const MB = 1024 * 1024;
/** Below this the heap is called flat: about what a few clients more or less at a sample moves it by. */
export const FLAT_KB_PER_MIN = 256;

function timers(i: Inspection): number {
  return i.resources.Timeout ?? 0;
}

function handles(i: Inspection): number {
  return Object.entries(i.resources).reduce((sum, [kind, n]) => (kind === 'Timeout' ? sum : sum + n), 0);
}

function listenerSum(i: Inspection): number {
  return i.listeners.namespace + i.listeners.server + i.listeners.engine + i.listeners.http;
}

function libraryMaps(i: Inspection): number {
  return Object.values(i.internals).reduce((a, b) => a + b, 0);
}

/**
 * Least-squares slope of the heap after GC over the load samples of the second half, in KB per minute: of all of it,
 * or (`part`) of V8's code space (compiled code, which grows as the JIT optimises more) or of everything else.
 */
export function heapSlopeKbPerMin(samples: SoakSample[], durationSec: number, part: 'all' | 'code' | 'other' = 'all'): number | null {
  const bytes = (s: SoakSample) =>
    part === 'all' ? s.stats.heapUsedBytes : part === 'code' ? s.inspection.heap.codeBytes : s.inspection.heap.otherBytes;
  const points = samples.filter((s) => s.phase === 'load' && s.t >= durationSec / 2).map((s) => [s.t / 60, bytes(s) / 1024] as const);
  if (points.length < 3) return null;
  const n = points.length;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  const sxy = points.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0);
  const sxx = points.reduce((a, [x]) => a + (x - mx) ** 2, 0);
  return sxx === 0 ? null : sxy / sxx;
}

export interface Comparison {
  /** Kinds of active resource whose count differs, before -> after. */
  resources: Record<string, [number, number]>;
  listeners: Record<string, [number, number]>;
  /** Library maps or store counts not back to zero after everyone left. */
  leftovers: Record<string, number>;
  heapRetainedKb: number;
  /** The part of heapRetainedKb in V8's code space. */
  codeRetainedKb: number;
  clean: boolean;
}

export function compare(before: Inspection, beforeStats: ServerStats, after: Inspection, afterStats: ServerStats): Comparison {
  const resources: Record<string, [number, number]> = {};
  for (const kind of new Set([...Object.keys(before.resources), ...Object.keys(after.resources)])) {
    const [b, a] = [before.resources[kind] ?? 0, after.resources[kind] ?? 0];
    if (a !== b) resources[kind] = [b, a];
  }
  const listeners: Record<string, [number, number]> = {};
  for (const key of Object.keys(before.listeners) as Array<keyof Inspection['listeners']>) {
    if (before.listeners[key] !== after.listeners[key]) listeners[key] = [before.listeners[key], after.listeners[key]];
  }
  const leftovers: Record<string, number> = {};
  const counts: Record<string, number> = {
    sockets: after.sockets,
    engineClients: after.engineClients,
    rooms: after.rooms,
    sids: after.sids,
    ...Object.fromEntries(Object.entries(after.store).map(([k, v]) => [`store.${k}`, v])),
    ...after.internals,
  };
  for (const [key, value] of Object.entries(counts)) if (value !== 0) leftovers[key] = value;
  const clean = !Object.keys(resources).length && !Object.keys(listeners).length && !Object.keys(leftovers).length;
  return {
    resources,
    listeners,
    leftovers,
    heapRetainedKb: (afterStats.heapUsedBytes - beforeStats.heapUsedBytes) / 1024,
    codeRetainedKb: (after.heap.codeBytes - before.heap.codeBytes) / 1024,
    clean,
  };
}

const HEADER = [
  't (s)',
  'phase',
  'heap MB',
  'code MB',
  'RSS MB',
  'sockets',
  'clients',
  'pairings',
  'handles',
  'timers',
  'listeners',
  'lib maps',
  'sessions',
  'relays',
  'resumes',
  'errors',
];

function rows(samples: SoakSample[]): string[][] {
  return samples.map((s) => {
    const i = s.inspection;
    const c = s.counters;
    const count = (v: number | undefined) => (v === undefined ? '' : String(v));
    return [
      s.t.toFixed(0),
      s.phase,
      (s.stats.heapUsedBytes / MB).toFixed(2),
      (i.heap.codeBytes / MB).toFixed(2),
      (s.stats.rssBytes / MB).toFixed(1),
      String(s.stats.openSockets),
      String(i.store.clients),
      String(i.store.pairings),
      String(handles(i)),
      String(timers(i)),
      String(listenerSum(i)),
      String(libraryMaps(i)),
      count(c?.sessions),
      count(c?.relaysReceived),
      count(c?.resumes),
      count(c?.errors),
    ];
  });
}

export function soakTextTable(samples: SoakSample[]): string {
  const all = [HEADER, ...rows(samples)];
  const widths = HEADER.map((_, c) => Math.max(...all.map((row) => row[c]!.length)));
  return all.map((row) => row.map((cell, c) => (c === 1 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')).join('\n');
}

export function soakMarkdownTable(samples: SoakSample[]): string {
  const line = (row: string[]) => `| ${row.join(' | ')} |`;
  return [line(HEADER), `|--:|---|${'--:|'.repeat(HEADER.length - 2)}`, ...rows(samples).map(line)].join('\n');
}

const signed = (v: number) => `${v >= 0 ? '+' : ''}${formatNumber(v)}`;

export function describeComparison(c: Comparison, baseline: string): string[] {
  const pairs = (o: Record<string, [number, number]>) =>
    Object.entries(o)
      .map(([k, [b, a]]) => `${k} ${b} -> ${a}`)
      .join(', ');
  return [
    `handles and timers, ${baseline} -> after all left: ${Object.keys(c.resources).length ? pairs(c.resources) : 'the same'}`,
    `listeners (namespace, server, engine, http), ${baseline} -> after all left: ${Object.keys(c.listeners).length ? pairs(c.listeners) : 'the same'}`,
    `sockets, rooms, store, library maps after all left: ${
      Object.keys(c.leftovers).length
        ? Object.entries(c.leftovers)
            .map(([k, v]) => `${k}=${v}`)
            .join(', ')
        : 'all zero'
    }`,
    `heap after GC, after all left vs ${baseline}: ${signed(c.heapRetainedKb)} KB, of it code ${signed(c.codeRetainedKb)} KB`,
  ];
}

export interface HeapSlopes {
  all: number | null;
  code: number | null;
  other: number | null;
}

export function verdictLine(slopes: HeapSlopes, c: Comparison, counters: SoakCounters, serverLogged: boolean): string {
  const slope = slopes.all;
  const parts =
    slopes.code === null || slopes.other === null ? '' : `, of it code ${signed(slopes.code)} and the rest ${signed(slopes.other)}`;
  const heap =
    slope === null
      ? 'heap slope: too few samples'
      : `heap ${signed(slope)} KB/min over the second half${parts} (${Math.abs(slope) < FLAT_KB_PER_MIN ? 'flat' : 'MOVING'}: |slope| ${Math.abs(slope) < FLAT_KB_PER_MIN ? '<' : '>='} ${FLAT_KB_PER_MIN})`;
  const leaks = c.clean ? 'handles, timers, listeners and library maps back to baseline' : 'NOT back to baseline (see above)';
  return `verdict: ${heap}; ${leaks}; ${counters.errors} load error(s)` + `${serverLogged ? '; the gateway logged errors' : ''}`;
}
