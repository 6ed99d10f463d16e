/**
 * Runs a load generator script as its own process: answers its `probe` requests (bench/ipc.ts) with the stats of the
 * servers it drives, passes its progress lines on, and resolves with the JSON object on the last line it prints. The
 * main benchmark, the soak and the cluster benchmark all start their load through here.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { LoadMessage, LoadReply, ServerStats } from '../ipc.js';
import type { WorkloadResult, WorkloadSpec } from '../workloads.js';
import { LOAD_CORE, onCore } from './pinning.js';
import type { ServerProcess } from './server-process.js';

/** The load generator of the relay, ack, handshake and clients workloads (bench/load.ts). */
export const LOAD_SCRIPT = fileURLToPath(new URL('../load.js', import.meta.url));
const LOAD_TIMEOUT_MS = 180_000;

export interface LoadProcessOptions {
  probe: (gc: boolean) => Promise<ServerStats | null>;
  onProgress: (text: string) => void;
  /** Messages of the script's own beyond `probe` and `progress`. */
  onMessage?: (message: { type: string }) => void;
  timeoutMs: number;
  /** Pin the process to the load core (the main benchmark). */
  pinned?: boolean;
  /** Node flags before the script (`--max-old-space-size=...`). */
  nodeFlags?: string[];
  /** Called with the child once spawned: for orchestrators that send it requests of their own (bench:scale). */
  onSpawn?: (child: ChildProcess) => void;
}

export function runLoadProcess<T>(script: string, args: string[], options: LoadProcessOptions): Promise<T> {
  const nodeArgs = [...(options.nodeFlags ?? []), script, ...args];
  const [command, spawnArgs] = options.pinned ? onCore(LOAD_CORE, nodeArgs) : [process.execPath, nodeArgs];
  const child = spawn(command, spawnArgs, { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  options.onSpawn?.(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  child.on('message', (raw: { type: string }) => {
    if (raw.type !== 'probe' && raw.type !== 'progress') return options.onMessage?.(raw);
    const message = raw as LoadMessage;
    if (message.type === 'progress') return options.onProgress(message.text);
    options
      .probe(message.gc)
      .catch(() => null)
      .then((stats) => child.connected && child.send({ type: 'probe', id: message.id, stats } satisfies LoadReply));
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const last = stdout.trim().split('\n').pop() ?? '';
      let parsed: (T & { error?: undefined }) | { error: string } | undefined;
      try {
        parsed = JSON.parse(last) as typeof parsed;
      } catch {
        parsed = undefined;
      }
      if (code === 0 && parsed && !('error' in parsed && parsed.error)) return resolve(parsed as T);
      const why = parsed && 'error' in parsed ? parsed.error : `exit ${code ?? signal}`;
      reject(new Error(`load generator ${script} failed: ${why}\n${stderr}`));
    });
  });
}

/** The main benchmark's measurement: `spec` against one server, pinned to the load core. */
export function runLoad(server: ServerProcess, spec: WorkloadSpec, onProgress: (text: string) => void): Promise<WorkloadResult> {
  return runLoadProcess<WorkloadResult>(LOAD_SCRIPT, [server.url, JSON.stringify(spec)], {
    probe: (gc) => server.stats(gc),
    onProgress,
    timeoutMs: LOAD_TIMEOUT_MS,
    pinned: true,
  }).catch((error: Error) => {
    throw new Error(`${server.name} (${spec.kind}): ${error.message}`);
  });
}
