/**
 * Keeps the server under test and the load generator on different cores (`taskset`), so neither steals the other's
 * core and the figures move less from run to run. Off with `--no-pin`, or where taskset or a second core is missing.
 */
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

export const SERVER_CORE = 0;
export const LOAD_CORE = 1;

const usable = !process.argv.includes('--no-pin') && availableParallelism() >= 2 && spawnSync('taskset', ['-c', '0', 'true']).status === 0;

export function pinningEnabled(): boolean {
  return usable;
}

/** The command and arguments that run `node ...args` on `core` when pinning is on. */
export function onCore(core: number, args: string[]): [string, string[]] {
  return usable ? ['taskset', ['-c', String(core), process.execPath, ...args]] : [process.execPath, args];
}
