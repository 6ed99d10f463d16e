/** Reads a `node --cpu-prof` profile: self time per function and per package, and inclusive time of lib/ functions. */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Only samples taken between these monotonic-clock times (µs) count: the workload, not the server's start-up. */
export interface ProfileWindow {
  fromMicros: number;
  toMicros: number;
}

export interface ProfileSummary {
  totalMs: number;
  busyMs: number;
  topSelf: Array<{ name: string; where: string; selfMs: number; shareOfBusy: number }>;
  byPackage: Array<{ name: string; selfMs: number; shareOfBusy: number }>;
  libInclusive: Array<{ name: string; where: string; totalMs: number; shareOfBusy: number }>;
  libSelf: Array<{ name: string; where: string; selfMs: number; shareOfBusy: number }>;
}

const IDLE = new Set(['(idle)', '(program)']);

function packageOf(url: string, name: string): string {
  if (!url) return name.startsWith('(') ? name : '(native)';
  if (url.includes('/dist/packages/')) return 'packages/ (this project)';
  if (url.includes('/dist/bench/bare-relay')) return 'bare relay (bench)';
  if (url.includes('/dist/bench/')) return 'bench probe';
  if (url.includes('/dist/sample/')) return 'sample app';
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (match) return match[1]!;
  if (url.startsWith('node:')) return 'node core';
  return url;
}

function shortUrl(url: string): string {
  const cut = url.search(/node_modules\/|dist\//);
  return cut >= 0 ? url.slice(cut).replace(/^node_modules\//, '') : url.replace(/^file:\/\//, '');
}

export function summariseProfile(path: string, window?: ProfileWindow, top = 25): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  // Each sample stands for the time since the previous one.
  const self = new Map<number, number>();
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (window && (at < window.fromMicros || at > window.toMicros)) return;
    self.set(id, (self.get(id) ?? 0) + delta / 1000);
  });

  const keyOf = (node: ProfileNode) => {
    const { functionName, url, lineNumber } = node.callFrame;
    return { name: functionName || '(anonymous)', where: url ? `${shortUrl(url)}:${lineNumber + 1}` : '' };
  };
  const selfByFunction = new Map<string, { name: string; where: string; selfMs: number }>();
  const selfByPackage = new Map<string, number>();
  let totalMs = 0;
  let idleMs = 0;
  for (const node of profile.nodes) {
    const ms = self.get(node.id) ?? 0;
    if (ms === 0) continue;
    totalMs += ms;
    if (IDLE.has(node.callFrame.functionName)) idleMs += ms;
    const { name, where } = keyOf(node);
    const entry = selfByFunction.get(`${name} ${where}`) ?? { name, where, selfMs: 0 };
    entry.selfMs += ms;
    selfByFunction.set(`${name} ${where}`, entry);
    const pkg = packageOf(node.callFrame.url, node.callFrame.functionName);
    selfByPackage.set(pkg, (selfByPackage.get(pkg) ?? 0) + ms);
  }
  const busyMs = totalMs - idleMs;
  const share = (ms: number) => ms / busyMs;

  // Inclusive time of lib/ functions: their own time and that of everything they call, counted once per call path.
  const inclusive = new Map<number, number>();
  const walk = (id: number): number => {
    const node = byId.get(id)!;
    const sum = (self.get(id) ?? 0) + (node.children ?? []).reduce((acc, child) => acc + walk(child), 0);
    inclusive.set(id, sum);
    return sum;
  };
  walk(profile.nodes[0]!.id);
  const libByFunction = new Map<string, { name: string; where: string; totalMs: number }>();
  const countLib = (id: number, inLibFunction: Set<string>) => {
    const node = byId.get(id)!;
    let path = inLibFunction;
    if (node.callFrame.url.includes('/dist/packages/')) {
      const { name, where } = keyOf(node);
      const key = `${name} ${where}`;
      if (!inLibFunction.has(key)) {
        const entry = libByFunction.get(key) ?? { name, where, totalMs: 0 };
        entry.totalMs += inclusive.get(id) ?? 0;
        libByFunction.set(key, entry);
        path = new Set(inLibFunction).add(key);
      }
    }
    for (const child of node.children ?? []) countLib(child, path);
  };
  countLib(profile.nodes[0]!.id, new Set());

  return {
    totalMs,
    busyMs,
    topSelf: [...selfByFunction.values()]
      .filter((f) => !IDLE.has(f.name))
      .sort((a, b) => b.selfMs - a.selfMs)
      .slice(0, top)
      .map((f) => ({ ...f, shareOfBusy: share(f.selfMs) })),
    byPackage: [...selfByPackage.entries()]
      .filter(([name]) => !IDLE.has(name))
      .sort((a, b) => b[1] - a[1])
      .map(([name, selfMs]) => ({ name, selfMs, shareOfBusy: share(selfMs) })),
    libSelf: [...selfByFunction.values()]
      .filter((f) => f.where.startsWith('dist/packages/'))
      .sort((a, b) => b.selfMs - a.selfMs)
      .slice(0, top)
      .map((f) => ({ ...f, shareOfBusy: share(f.selfMs) })),
    libInclusive: [...libByFunction.values()]
      .sort((a, b) => b.totalMs - a.totalMs)
      .slice(0, top)
      .map((f) => ({ ...f, shareOfBusy: share(f.totalMs) })),
  };
}

export function formatProfile(summary: ProfileSummary): string {
  const pct = (x: number) => `${(x * 100).toFixed(1).padStart(5)}%`;
  const ms = (x: number) => `${x.toFixed(0).padStart(7)} ms`;
  return [
    `profile: ${summary.totalMs.toFixed(0)} ms sampled, ${summary.busyMs.toFixed(0)} ms busy (shares below are of busy time)`,
    '',
    'self time by package:',
    ...summary.byPackage.slice(0, 15).map((p) => `  ${pct(p.shareOfBusy)} ${ms(p.selfMs)}  ${p.name}`),
    '',
    'top functions by self time:',
    ...summary.topSelf.map((f) => `  ${pct(f.shareOfBusy)} ${ms(f.selfMs)}  ${f.name}  ${f.where}`),
    '',
    'lib/ functions by self time:',
    ...summary.libSelf.map((f) => `  ${pct(f.shareOfBusy)} ${ms(f.selfMs)}  ${f.name}  ${f.where}`),
    '',
    'lib/ functions by inclusive time (self + callees):',
    ...summary.libInclusive.map((f) => `  ${pct(f.shareOfBusy)} ${ms(f.totalMs)}  ${f.name}  ${f.where}`),
  ].join('\n');
}
