/**
 * CPU time of the local redis-server process (Linux /proc), to show what a cross-node relay costs Redis. Null where
 * it cannot be read (no /proc, Redis elsewhere, several instances).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const JIFFIES_PER_SEC = 100;

export function findRedisPid(): number | null {
  const out = spawnSync('pgrep', ['-x', 'redis-server'], { encoding: 'utf8' }).stdout?.trim() ?? '';
  const pids = out.split('\n').filter(Boolean);
  return pids.length === 1 ? Number(pids[0]) : null;
}

/** CPU seconds the process has used, or null. */
export function cpuSecondsOf(pid: number | null): number | null {
  if (pid === null) return null;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ').map(Number);
    return (fields[11]! + fields[12]!) / JIFFIES_PER_SEC;
  } catch {
    return null;
  }
}

/** Samples Redis CPU at each call; `busy()` is its CPU over wall time between the first and the last sample. */
export class RedisCpuWindow {
  private samples: Array<{ cpu: number; wallMs: number }> = [];

  constructor(private readonly pid: number | null) {}

  mark(): void {
    const cpu = cpuSecondsOf(this.pid);
    if (cpu !== null) this.samples.push({ cpu, wallMs: performance.now() });
  }

  busy(): number | null {
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    if (!first || !last || last.wallMs <= first.wallMs) return null;
    return (last.cpu - first.cpu) / ((last.wallMs - first.wallMs) / 1000);
  }
}
