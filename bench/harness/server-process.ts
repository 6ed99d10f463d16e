/**
 * One server under test as a child process: started with the probe preloaded, asked for stats (and, for a gateway
 * node, other requests) over IPC, stopped. The main benchmark's servers and the soak / cluster gateway nodes
 * (gateway-node.process.ts) all run through this class.
 */
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
const ANSWER_TIMEOUT_MS = 20_000;
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

export interface ServerProcessOptions {
  /** Extra Node flags (`--cpu-prof`, ...). */
  nodeFlags?: string[];
  /** Environment on top of this process's. */
  env?: Record<string, string>;
  /** Pin the process to the server core (the main benchmark); default true. */
  pinned?: boolean;
  /** How long it may take to listen. */
  startTimeoutMs?: number;
  /** The IPC request that asks it to exit cleanly: the probe's `exit` unless the script answers another. */
  exitRequest?: { type: string };
}

/** A request over IPC with an `id`, answered by a reply carrying the same `id`. */
type Request = { type: string; id: number };

export class ServerProcess {
  private child?: ChildProcess;
  private output = '';
  private nextId = 0;
  private readonly waiting = new Map<number, (reply: { id: number }) => void>();
  url = '';

  /** `kind` names a server of the main benchmark, or `{name, script}` any other server script. */
  constructor(
    readonly kind: ServerKind | { name: string; script: string },
    private readonly options: ServerProcessOptions = {},
  ) {}

  get name(): string {
    return typeof this.kind === 'string' ? `${this.kind} server` : this.kind.name;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** The process's last output (errors it logged), for a report. */
  get lastOutput(): string {
    return this.output;
  }

  async start(): Promise<void> {
    const script = typeof this.kind === 'string' ? SCRIPTS[this.kind] : this.kind.script;
    const port = await freePort();
    this.url = `http://127.0.0.1:${port}`;
    this.output = '';
    // BENCH_SERVER_PROFILE_DIR (e.g. for bench:cluster, whose nodes have no --profile of their own): every server
    // process runs under `node --cpu-prof`, its profile written there.
    const profileDir = process.env.BENCH_SERVER_PROFILE_DIR;
    const profiling = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
    const nodeArgs = ['--expose-gc', '--import', PROBE_URL, ...profiling, ...(this.options.nodeFlags ?? []), script];
    const [command, args] = this.options.pinned === false ? [process.execPath, nodeArgs] : onCore(SERVER_CORE, nodeArgs);
    const child = spawn(command, args, {
      env: { ...process.env, PORT: String(port), NO_COLOR: '1', ...this.options.env },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    this.child = child;
    child.on('message', (reply: { id: number }) => {
      this.waiting.get(reply.id)?.(reply);
      this.waiting.delete(reply.id);
    });
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-4000);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    let exited = false;
    child.once('exit', () => (exited = true));
    const deadline = Date.now() + (this.options.startTimeoutMs ?? 20_000);
    while (!(await accepts(port))) {
      if (exited) throw this.failure('exited while starting');
      if (Date.now() > deadline) throw this.failure('did not start in time');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Memory (after a full GC when `gc`), CPU time and open sockets, from the preloaded probe. */
  async stats(gc: boolean): Promise<ServerStats> {
    const reply = await this.ask<ServerReply>((id) => ({ type: 'stats', id, gc }) satisfies ServerRequest);
    return reply.stats;
  }

  /** Sends `request(id)` and resolves with the reply carrying that id. */
  ask<R extends { id: number }>(request: (id: number) => Request): Promise<R> {
    const child = this.child;
    if (!child?.connected) return Promise.reject(this.failure('is not running'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(this.failure('did not answer a request'));
      }, ANSWER_TIMEOUT_MS);
      this.waiting.set(id, (reply) => {
        clearTimeout(timer);
        resolve(reply as R);
      });
      child.send(request(id));
    });
  }

  /** Waits until the last load generator's connections are gone on the server side too (`busy` says they are not). */
  async quiesce(busy: () => Promise<boolean> = async () => (await this.stats(false)).openSockets > 0): Promise<void> {
    const deadline = Date.now() + QUIET_TIMEOUT_MS;
    while (await busy()) {
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
    if (child.connected) child.send(this.options.exitRequest ?? ({ type: 'exit' } satisfies ServerRequest));
    else child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), EXIT_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }

  failure(what: string): Error {
    return new Error(`${this.name} ${what}; its last output:\n${this.output}`);
  }
}
