import type { P2pDiscoveryHook, P2pDiscoveryOption, P2pDiscoveryPolicy } from './p2p-discovery.types.js';

/** The `discovery` option, resolved: which of its forms it took. */
export type ResolvedDiscovery =
  { kind: 'all' } | { kind: 'none' } | { kind: 'each'; hook: P2pDiscoveryHook } | { kind: 'prepared'; policy: P2pDiscoveryPolicy };

export const DEFAULT_LIST_PAGE_SIZE = 1_000;
/** The largest page an option may set: one answer stays a few MB at most. */
export const MAX_LIST_PAGE_SIZE = 100_000;

export function resolveDiscovery(option: P2pDiscoveryOption | undefined): ResolvedDiscovery {
  if (option === undefined || option === 'all') return { kind: 'all' };
  if (option === 'none') return { kind: 'none' };
  if (typeof option === 'function') return { kind: 'each', hook: option };
  if (typeof option === 'object' && option !== null && typeof option.forViewer === 'function') {
    return { kind: 'prepared', policy: option };
  }
  throw new TypeError("P2pModule: discovery must be 'all', 'none', a function (viewer, client) or {forViewer(viewer)}");
}

export function resolveListPageSize(value: number | undefined): number {
  if (value === undefined) return DEFAULT_LIST_PAGE_SIZE;
  if (!Number.isInteger(value) || value < 1 || value > MAX_LIST_PAGE_SIZE) {
    throw new TypeError(`P2pModule: listPageSize must be a whole number from 1 to ${MAX_LIST_PAGE_SIZE}`);
  }
  return value;
}
