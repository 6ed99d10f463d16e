/**
 * How much of the machine's CPU went to work other than this benchmark during a run: on a shared machine that is
 * what makes the figures move. Linux only (/proc); null elsewhere.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

interface Sample {
  wallMs: number;
  /** Busy jiffies of the whole machine. */
  machineBusy: number;
  /** Jiffies of this process and of its children that have exited (every server and load generator, by the end). */
  ours: number;
}

function sample(): Sample | null {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = cpu;
    // Fields after the command name, which is in parentheses and may hold spaces.
    const self = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ').map(Number);
    const ours = self[11]! + self[12]! + self[13]! + self[14]!;
    return { wallMs: Date.now(), machineBusy: user + nice + system + irq + softirq + steal, ours };
  } catch {
    return null;
  }
}

/** Starts measuring; the function returned answers the share of all cores that other work used meanwhile. */
export function watchOtherWork(): () => number | null {
  const start = sample();
  return () => {
    const end = sample();
    if (!start || !end) return null;
    const jiffiesPerSec = 100;
    const capacity = ((end.wallMs - start.wallMs) / 1000) * jiffiesPerSec * availableParallelism();
    const other = end.machineBusy - start.machineBusy - (end.ours - start.ours);
    return Math.max(0, other / capacity);
  };
}
