/** A gateway-node.ts process: started with the benchmark's probe preloaded, asked for stats and inspections, closed. */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ServerReply, ServerRequest, ServerStats } from '../ipc.js';
import type { Inspection, NodeReply, NodeRequest } from './node-ipc.js';

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
const SCRIPT = here('./gateway-node.js');
const PROBE_URL = pathToFileURL(here('../server-probe.js')).href;
const START_TIMEOUT_MS = 30_000;
const ANSWER_TIMEOUT_MS = 20_000;
const QUIET_TIMEOUT_MS = 30_000;
const EXIT_TIMEOUT_MS = 10_000;

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

export class GatewayNode {
  private child?: ChildProcess;
  private output = '';
  private nextId = 0;
  private readonly waiting = new Map<number, (reply: ServerReply | NodeReply) => void>();
  url = '';

  /** `env`: REDIS_URL, P2P_KEY_PREFIX, P2P_GRACE_MS, BENCH_LIMITS (see gateway-node.ts). */
  constructor(
    readonly name: string,
    private readonly env: Record<string, string> = {},
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(): Promise<void> {
    const port = await freePort();
    this.url = `http://127.0.0.1:${port}`;
    this.output = '';
    const child = spawn(process.execPath, ['--expose-gc', '--import', PROBE_URL, SCRIPT], {
      env: { ...process.env, PORT: String(port), NO_COLOR: '1', ...this.env },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    this.child = child;
    child.on('message', (reply: ServerReply | NodeReply) => {
      this.waiting.get(reply.id)?.(reply);
      this.waiting.delete(reply.id);
    });
    let ready = false;
    child.stdout!.on('data', (chunk: Buffer) => {
      this.keep(chunk);
      if (this.output.includes('ready')) ready = true;
    });
    child.stderr!.on('data', (chunk: Buffer) => this.keep(chunk));
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (!ready) {
      if (child.exitCode !== null || child.signalCode !== null) throw this.failure('exited while starting');
      if (Date.now() > deadline) throw this.failure('did not start in time');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Memory (after a full GC when `gc`), CPU time and open sockets, from the preloaded probe. */
  async stats(gc: boolean): Promise<ServerStats> {
    const reply = await this.ask((id) => ({ type: 'stats', id, gc }) satisfies ServerRequest);
    return (reply as ServerReply).stats;
  }

  async inspect(): Promise<Inspection> {
    const reply = await this.ask((id) => ({ type: 'inspect', id }) satisfies NodeRequest);
    return (reply as NodeReply).inspection;
  }

  /**
   * Waits until no client connection is left on this node (engine.io's count: the probe's open TCP sockets include a
   * cluster node's Redis connections).
   */
  async quiesce(): Promise<void> {
    const deadline = Date.now() + QUIET_TIMEOUT_MS;
    const busy = async () => {
      const i = await this.inspect();
      return i.engineClients > 0 || i.sockets > 0;
    };
    while (await busy()) {
      if (Date.now() > deadline) throw this.failure('still holds connections from the previous workload');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** A clean Nest shutdown (a cluster node leaves the shared store); killed if it takes too long. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    if (child.connected) child.send({ type: 'close' } satisfies NodeRequest);
    else child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), EXIT_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }

  private ask(request: (id: number) => ServerRequest | NodeRequest): Promise<ServerReply | NodeReply> {
    const child = this.child;
    if (!child?.connected) return Promise.reject(this.failure('is not running'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(this.failure('did not answer'));
      }, ANSWER_TIMEOUT_MS);
      this.waiting.set(id, (reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
      child.send(request(id));
    });
  }

  private keep(chunk: Buffer): void {
    this.output = (this.output + chunk.toString()).slice(-4000);
  }

  /** The node's last output (errors it logged), for the report. */
  get lastOutput(): string {
    return this.output;
  }

  private failure(what: string): Error {
    return new Error(`gateway node ${this.name} ${what}; its last output:\n${this.output}`);
  }
}
