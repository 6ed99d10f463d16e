/**
 * Runs a load generator script as its own process, answers its `probe` requests (bench/ipc.ts) with `probe`, passes
 * its progress lines on, and resolves with the JSON object on the last line it prints.
 */
import { spawn } from 'node:child_process';
import type { LoadMessage, LoadReply, ServerStats } from '../ipc.js';

export interface ChildLoadOptions {
  probe: (gc: boolean) => Promise<ServerStats | null>;
  onProgress: (text: string) => void;
  /** Messages of the script's own beyond `probe` and `progress`. */
  onMessage?: (message: { type: string }) => void;
  timeoutMs: number;
}

export function runChildLoad<T>(script: string, args: string[], options: ChildLoadOptions): Promise<T> {
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
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
