/** Turns the raw results of every round into the figures of the table: medians per server and the gateway/bare ratio. */
import type { ServerKind } from '../harness/server-process.js';
import type { WorkloadResult } from '../workloads.js';

/** results[round][server][measurement name] */
export type RoundResults = Array<
  Record<'bare' | 'gateway', Record<string, WorkloadResult>> & Partial<Record<ServerKind, Record<string, WorkloadResult>>>
>;

export interface Target {
  /** Gateway/bare ratio at least (higher is better) or at most (lower is better). */
  ratio?: number;
  /** An absolute bound on the gateway's own figure. */
  atLeast?: number;
  atMost?: number;
  text: string;
}

export interface Figure {
  key: string;
  label: string;
  unit: string;
  better: 'higher' | 'lower';
  bare: number | null;
  gateway: number | null;
  /** The median over rounds of gateway / bare within the round: each pair measured back to back, under like noise. */
  ratio: number | null;
  /** The lowest and highest of those per-round ratios. */
  ratioRange: [number, number] | null;
  target?: Target;
  met?: boolean;
}

interface FigureDef {
  key: string;
  label: string;
  unit: string;
  better: 'higher' | 'lower';
  read: (results: Record<string, WorkloadResult>) => number | null | undefined;
  target?: Target;
  /** Summed over rounds instead of the median. */
  sum?: boolean;
}

function percent(share: number | null | undefined): number | null | undefined {
  return typeof share === 'number' ? share * 100 : share;
}

/** Operations per second one core could do at `cpuMs` of CPU each. */
function perSecond(cpuMs: number | null | undefined): number | null | undefined {
  return typeof cpuMs === 'number' && cpuMs > 0 ? 1000 / cpuMs : null;
}

const AT_LEAST_095: Target = { ratio: 0.95, text: '>= 0.95x bare' };
const AT_MOST_110: Target = { ratio: 1.1, text: '<= 1.1x bare' };
const AT_MOST_120: Target = { ratio: 1.2, text: '<= 1.2x bare' };
/** Issue 13's targets for relays with ack and for the heap per client; issue 24's for pair + unpair capacity. */
const AT_LEAST_100: Target = { ratio: 1.0, text: '>= 1.0x bare' };
const AT_MOST_115: Target = { ratio: 1.15, text: '<= 1.15x bare' };

function relayDefs(name: string, title: string, offered: number): FigureDef[] {
  const relay = (r: Record<string, WorkloadResult>) => (r[name]?.kind === 'relay' ? r[name] : undefined);
  return [
    {
      key: `${name}.max`,
      label: `${title}: saturated`,
      unit: 'msg/s',
      better: 'higher',
      read: (r) => relay(r)?.max.deliveredPerSec,
      target: AT_LEAST_095,
    },
    {
      key: `${name}.fixed.rate`,
      label: `${title}: delivered at ${offered}/s offered`,
      unit: 'msg/s',
      better: 'higher',
      read: (r) => relay(r)?.fixed.deliveredPerSec,
    },
    { key: `${name}.fixed.p50`, label: `${title}: p50 at ${offered}/s`, unit: 'ms', better: 'lower', read: (r) => relay(r)?.fixed.p50Ms },
    {
      key: `${name}.fixed.p99`,
      label: `${title}: p99 at ${offered}/s`,
      unit: 'ms',
      better: 'lower',
      read: (r) => relay(r)?.fixed.p99Ms,
      target: AT_MOST_110,
    },
    { key: `${name}.max.p99`, label: `${title}: p99 saturated`, unit: 'ms', better: 'lower', read: (r) => relay(r)?.max.p99Ms },
    {
      key: `${name}.cpu`,
      label: `${title}: server CPU per 1M relays`,
      unit: 's',
      better: 'lower',
      read: (r) => relay(r)?.max.cpuSecPerMillion,
    },
    {
      key: `${name}.busy`,
      label: `${title}: server core busy, saturated`,
      unit: '%',
      better: 'lower',
      read: (r) => percent(relay(r)?.max.serverBusy),
    },
    {
      key: `${name}.loadBusy`,
      label: `${title}: load core busy, saturated`,
      unit: '%',
      better: 'lower',
      read: (r) => percent(relay(r)?.max.loadBusy),
    },
  ];
}

function clientDefs(name: string, count: number): FigureDef[] {
  const clients = (r: Record<string, WorkloadResult>) => (r[name]?.kind === 'clients' ? r[name] : undefined);
  const label = `${count / 1000}k clients`;
  return [
    { key: `${name}.connect`, label: `${label}: time to connect all`, unit: 's', better: 'lower', read: (r) => clients(r)?.connectSec },
    {
      key: `${name}.pair`,
      label: `${label}: time to make ${count / 2} pairings`,
      unit: 's',
      better: 'lower',
      read: (r) => clients(r)?.pairSec,
    },
    {
      key: `${name}.rss`,
      label: `${label}: RSS per client`,
      unit: 'KB',
      better: 'lower',
      read: (r) => clients(r)?.rssPerClientKb,
      target: AT_MOST_120,
    },
    {
      key: `${name}.heap`,
      label: `${label}: heap per client (after GC)`,
      unit: 'KB',
      better: 'lower',
      read: (r) => clients(r)?.heapPerClientKb,
      target: AT_MOST_115,
    },
    {
      key: `${name}.errors`,
      label: `${label}: errors (all rounds)`,
      unit: '',
      better: 'lower',
      read: (r) => clients(r)?.errors,
      sum: true,
      target: { atMost: 0, text: '0' },
    },
  ];
}

/** The handshake figures; `name` is `handshakes` (both phases, keys as before) or `pairunpair` (pair + unpair alone). */
function handshakeDefs(name: string, withConnect: boolean): FigureDef[] {
  const hs = (r: Record<string, WorkloadResult>) => {
    const result = r[name];
    return result?.kind === 'handshakes' ? result : undefined;
  };
  const connect: FigureDef[] = [
    {
      key: 'handshakes.full',
      label: 'handshakes: connect 2 + pair + unpair',
      unit: '/s',
      better: 'higher',
      read: (r) => hs(r)?.handshakesPerSec,
      target: { atLeast: 2000, text: '>= 2000/s' },
    },
    {
      key: 'handshakes.full.capacity',
      label: 'handshakes: server capacity, 1 core',
      unit: '/s',
      better: 'higher',
      read: (r) => perSecond(hs(r)?.handshakeServerCpuMs),
      target: { atLeast: 2000, text: '>= 2000/s' },
    },
    {
      key: 'handshakes.full.busy',
      label: 'handshakes: server core busy',
      unit: '%',
      better: 'lower',
      read: (r) => percent(hs(r)?.handshakeServerBusy),
    },
    {
      key: 'handshakes.full.loadBusy',
      label: 'handshakes: load core busy',
      unit: '%',
      better: 'lower',
      read: (r) => percent(hs(r)?.handshakeLoadBusy),
    },
  ];
  const reuse: FigureDef[] = [
    {
      key: 'handshakes.reuse',
      label: 'handshakes: pair + unpair, open sockets',
      unit: '/s',
      better: 'higher',
      read: (r) => hs(r)?.pairUnpairPerSec,
    },
    {
      key: 'handshakes.reuse.capacity',
      label: 'pair + unpair: server capacity, 1 core',
      unit: '/s',
      better: 'higher',
      read: (r) => perSecond(hs(r)?.pairUnpairServerCpuMs),
      target: AT_LEAST_100,
    },
    {
      key: 'handshakes.reuse.busy',
      label: 'pair + unpair: server core busy',
      unit: '%',
      better: 'lower',
      read: (r) => percent(hs(r)?.pairUnpairServerBusy),
    },
    {
      key: 'handshakes.reuse.loadBusy',
      label: 'pair + unpair: load core busy',
      unit: '%',
      better: 'lower',
      read: (r) => percent(hs(r)?.pairUnpairLoadBusy),
    },
  ];
  return [...(withConnect ? connect : []), ...reuse.map((def) => ({ ...def, key: def.key.replace(/^handshakes/, name) }))];
}

function definitions(names: string[], offered: number): FigureDef[] {
  const defs: FigureDef[] = [];
  for (const name of names) {
    if (name === 'relay64') defs.push(...relayDefs(name, 'relay 64 B', offered));
    else if (name === 'relay1k') defs.push(...relayDefs(name, 'relay 1 KB', offered));
    else if (name === 'ack') {
      const ack = (r: Record<string, WorkloadResult>) => (r.ack?.kind === 'ack' ? r.ack : undefined);
      defs.push(
        {
          key: 'ack.rate',
          label: 'relay with ack: round trips',
          unit: '/s',
          better: 'higher',
          read: (r) => ack(r)?.roundTripsPerSec,
          target: AT_LEAST_100,
        },
        { key: 'ack.p50', label: 'relay with ack: p50', unit: 'ms', better: 'lower', read: (r) => ack(r)?.p50Ms },
        { key: 'ack.p99', label: 'relay with ack: p99', unit: 'ms', better: 'lower', read: (r) => ack(r)?.p99Ms, target: AT_MOST_110 },
        {
          key: 'ack.cpu',
          label: 'relay with ack: server CPU per 1M round trips',
          unit: 's',
          better: 'lower',
          read: (r) => ack(r)?.cpuSecPerMillion,
        },
        {
          key: 'ack.busy',
          label: 'relay with ack: server core busy',
          unit: '%',
          better: 'lower',
          read: (r) => percent(ack(r)?.serverBusy),
        },
        {
          key: 'ack.loadBusy',
          label: 'relay with ack: load core busy',
          unit: '%',
          better: 'lower',
          read: (r) => percent(ack(r)?.loadBusy),
        },
      );
    } else if (name === 'handshakes') defs.push(...handshakeDefs(name, true));
    else if (name === 'pairunpair') defs.push(...handshakeDefs(name, false));
    else if (name.startsWith('clients')) defs.push(...clientDefs(name, Number(name.slice('clients'.length, -1)) * 1000));
  }
  defs.push({
    key: 'errors',
    label: 'errors, relay/ack/handshake workloads (all rounds)',
    unit: '',
    better: 'lower',
    sum: true,
    read: (r) => ['relay64', 'relay1k', 'ack', 'handshakes', 'pairunpair'].reduce((sum, n) => sum + (r[n]?.errors ?? 0), 0),
    target: { atMost: 0, text: '0' },
  });
  return defs;
}

export function median(values: number[]): number | null {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function isMet(target: Target, gateway: number | null, ratio: number | null, better: 'higher' | 'lower'): boolean | undefined {
  if (target.ratio !== undefined) return ratio === null ? undefined : better === 'higher' ? ratio >= target.ratio : ratio <= target.ratio;
  if (gateway === null) return undefined;
  if (target.atLeast !== undefined) return gateway >= target.atLeast;
  if (target.atMost !== undefined) return gateway <= target.atMost;
  return undefined;
}

export function computeFigures(rounds: RoundResults, names: string[], offered: number): Figure[] {
  return definitions(names, offered).map((def) => {
    const collect = (server: ServerKind) => {
      const values = rounds.map((round) => def.read(round[server] ?? {})).filter((v): v is number => typeof v === 'number');
      if (values.length === 0) return null;
      return def.sum ? values.reduce((a, b) => a + b, 0) : median(values);
    };
    const bare = collect('bare');
    const gateway = collect('gateway');
    const ratios = def.sum
      ? []
      : rounds
          .map((round) => [def.read(round.bare ?? {}), def.read(round.gateway ?? {})])
          .filter((pair): pair is [number, number] => typeof pair[0] === 'number' && typeof pair[1] === 'number' && pair[0] > 0)
          .map(([b, g]) => g / b);
    const ratio = median(ratios);
    const ratioRange: [number, number] | null = ratios.length ? [Math.min(...ratios), Math.max(...ratios)] : null;
    const figure: Figure = { key: def.key, label: def.label, unit: def.unit, better: def.better, bare, gateway, ratio, ratioRange };
    if (def.target) {
      figure.target = def.target;
      figure.met = isMet(def.target, gateway, ratio, def.better);
    }
    return figure;
  });
}
