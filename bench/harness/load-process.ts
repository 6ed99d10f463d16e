/** Runs the load generator as its own process against one server, relaying its stats requests to that server. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { LoadMessage, LoadReply } from '../ipc.js';
import type { WorkloadResult, WorkloadSpec } from '../workloads.js';
import { LOAD_CORE, onCore } from './pinning.js';
import type { ServerProcess } from './server-process.js';

const LOAD_SCRIPT = fileURLToPath(new URL('../load.js', import.meta.url));
const LOAD_TIMEOUT_MS = 180_000;

export function runLoad(server: ServerProcess, spec: WorkloadSpec, onProgress: (text: string) => void): Promise<WorkloadResult> {
  const [command, args] = onCore(LOAD_CORE, [LOAD_SCRIPT, server.url, JSON.stringify(spec)]);
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  child.on('message', (message: LoadMessage) => {
    if (message.type === 'progress') return onProgress(message.text);
    server
      .stats(message.gc)
      .catch(() => null)
      .then((stats) => child.connected && child.send({ type: 'probe', id: message.id, stats } satisfies LoadReply));
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), LOAD_TIMEOUT_MS);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const last = stdout.trim().split('\n').pop() ?? '';
      let parsed: (WorkloadResult & { error?: undefined }) | { error: string } | undefined;
      try {
        parsed = JSON.parse(last) as typeof parsed;
      } catch {
        parsed = undefined;
      }
      if (code === 0 && parsed && !('error' in parsed && parsed.error)) return resolve(parsed as WorkloadResult);
      const why = parsed && 'error' in parsed ? parsed.error : `exit ${code ?? signal}`;
      reject(new Error(`load generator failed on ${server.kind} (${spec.kind}): ${why}\n${stderr}`));
    });
  });
}
