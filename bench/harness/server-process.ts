/** One server under test as a child process: started with the probe preloaded, asked for stats over IPC, stopped. */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect, createServer } from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ServerReply, ServerRequest, ServerStats } from '../ipc.js';
import { SERVER_CORE, onCore } from './pinning.js';

/** `metrics`: the gateway again, with its Prometheus metrics on (BENCH_METRICS=1), for the cost of the counters. */
export type ServerKind = 'bare' | 'gateway' | 'metrics';

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
const SCRIPTS: Record<ServerKind, string> = {
  bare: here('../bare-relay.js'),
  gateway: here('../gateway-server.js'),
  metrics: here('../gateway-server.js'),
};
const PROBE_URL = pathToFileURL(here('../server-probe.js')).href;
const START_TIMEOUT_MS = 20_000;
const STATS_TIMEOUT_MS = 20_000;
const QUIET_TIMEOUT_MS = 30_000;
const EXIT_TIMEOUT_MS = 10_000;

/** True once something accepts TCP connections on the port: the server is listening, whatever it logs. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect(port, '127.0.0.1');
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

export class ServerProcess {
  private child?: ChildProcess;
  private output = '';
  private nextId = 0;
  private readonly waiting = new Map<number, (stats: ServerStats) => void>();
  url = '';

  constructor(
    readonly kind: ServerKind,
    private readonly nodeFlags: string[] = [],
    private readonly env: Record<string, string> = {},
  ) {}

  async start(): Promise<void> {
    const script = SCRIPTS[this.kind];
    const port = await freePort();
    this.url = `http://127.0.0.1:${port}`;
    this.output = '';
    const [command, args] = onCore(SERVER_CORE, ['--expose-gc', '--import', PROBE_URL, ...this.nodeFlags, script]);
    const child = spawn(command, args, {
      env: { ...process.env, PORT: String(port), NO_COLOR: '1', ...this.env },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    this.child = child;
    child.on('message', (reply: ServerReply) => {
      this.waiting.get(reply.id)?.(reply.stats);
      this.waiting.delete(reply.id);
    });
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-4000);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    let exited = false;
    child.once('exit', () => (exited = true));
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (!(await accepts(port))) {
      if (exited) throw this.failure('exited while starting');
      if (Date.now() > deadline) throw this.failure('did not start in time');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  stats(gc: boolean): Promise<ServerStats> {
    const child = this.child;
    if (!child?.connected) return Promise.reject(this.failure('is not running'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(this.failure('did not answer a stats request'));
      }, STATS_TIMEOUT_MS);
      this.waiting.set(id, (stats) => {
        clearTimeout(timer);
        resolve(stats);
      });
      child.send({ type: 'stats', id, gc } satisfies ServerRequest);
    });
  }

  /** Waits until the last load generator's connections are gone on the server side too. */
  async quiesce(): Promise<void> {
    const deadline = Date.now() + QUIET_TIMEOUT_MS;
    while ((await this.stats(false)).openSockets > 0) {
      if (Date.now() > deadline) throw this.failure('still holds connections from the previous workload');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Asks the process to exit (so `--cpu-prof` writes its profile); kills it if it does not. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    if (child.connected) child.send({ type: 'exit' } satisfies ServerRequest);
    else child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), EXIT_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }

  private failure(what: string): Error {
    return new Error(`${this.kind} server ${what}; its last output:\n${this.output}`);
  }
}
