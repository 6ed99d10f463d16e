/**
 * What bench:scale needs from the machine before it starts: open files (the server holds one descriptor per client,
 * each load process one per client of its share) and ephemeral ports (each source address has the local port range
 * once per server port). Says exactly what to run when a limit is too low, rather than failing half way.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Descriptors a process needs beyond its clients: listening socket, IPC, stdio, the warm-up's 100 clients, slack. */
export const FILE_HEADROOM = 500;
/** Share of a source address's ephemeral ports a run may use: ports still in TIME_WAIT from a previous run are taken. */
const PORT_SHARE = 0.45;

export interface CeilingNeeds {
  clients: number;
  loads: number;
  addresses: number;
}

function shellLimit(flag: '-n' | '-Hn'): number {
  const out = spawnSync('sh', ['-c', `ulimit ${flag}`], { encoding: 'utf8' }).stdout.trim();
  return out === 'unlimited' ? Number.POSITIVE_INFINITY : Number(out) || 1024;
}

/** The local port range (Linux), or the usual Linux default where it cannot be read. */
export function ephemeralPorts(): number {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    return high! - low! + 1;
  } catch {
    return 28_232;
  }
}

/** The most clients the open-file limit lets one server process hold (an even count). */
export function mostClients(fileLimit = shellLimit('-n')): number {
  return Math.max(0, Math.floor((fileLimit - FILE_HEADROOM) / 2) * 2);
}

/** Problems that stop the run, each with what to do about it; empty when it can go. */
export function checkLimits(needs: CeilingNeeds): string[] {
  const soft = shellLimit('-n');
  const hard = shellLimit('-Hn');
  const problems: string[] = [];
  const serverFiles = needs.clients + FILE_HEADROOM;
  if (soft < serverFiles) {
    const raise =
      hard >= serverFiles
        ? `run \`ulimit -n ${serverFiles}\` in this shell first (the hard limit, ${hard}, allows it)`
        : `The hard limit is ${hard}: raise it as root (\`ulimit -Hn ${serverFiles}\` and \`ulimit -n ${serverFiles}\` ` +
          `in a root shell, \`prlimit --pid $$ --nofile=${serverFiles}:${serverFiles}\`, nofile in ` +
          `/etc/security/limits.conf, or \`--ulimit nofile=${serverFiles}\` for a container); it needs CAP_SYS_RESOURCE`;
    problems.push(
      `the server holds one open file per client: ${needs.clients} clients need \`ulimit -n\` >= ${serverFiles}, ` +
        `and it is ${soft}. ${raise}. Or try fewer: --clients ${mostClients(soft)} is the most that fits now.`,
    );
  }
  const ports = ephemeralPorts();
  const perAddress = Math.ceil(needs.clients / needs.addresses);
  if (perAddress > ports * PORT_SHARE) {
    const addresses = Math.ceil(needs.clients / (ports * PORT_SHARE));
    problems.push(
      `${perAddress} connections per source address is more than ${Math.floor(PORT_SHARE * 100)}% of the ` +
        `${ports} ephemeral ports (net.ipv4.ip_local_port_range): pass --addresses ${addresses} or more.`,
    );
  }
  return problems;
}
