import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { P2pLifecycleEvent, P2pModuleOptions } from '../../../packages/server/src/index.js';
import type { NodeReply, NodeRequest } from './cluster-node.ipc.js';

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
const ENTRY = here('./cluster-node.main.ts');
const REGISTER = here('./ts-register.mjs');
/** Generous: a node starts in about a second, but several starting at once on a loaded 2-core machine take far longer. */
const START_TIMEOUT_MS = 60_000;
const CALL_TIMEOUT_MS = 10_000;
const EXIT_TIMEOUT_MS = 10_000;

/** What a node's options may hold: JSON only (they travel in an env variable). */
export type NodeOptions = Omit<P2pModuleOptions, 'store' | 'authenticate' | 'canPair' | 'clientId'>;

/** A gateway node as a separate process (cluster-node.main.ts, run from the TypeScript sources). */
export class ClusterNodeProcess {
  readonly events: P2pLifecycleEvent[] = [];
  url = '';
  port = 0;
  private child?: ChildProcess;
  private output = '';
  private nextId = 0;
  private readonly calls = new Map<number, (reply: Extract<NodeReply, { type: 'reply' }>) => void>();

  constructor(
    readonly name: string,
    readonly options: NodeOptions,
  ) {}

  /** The exit code of the last process, once it exited (null if killed by a signal). */
  get exitCode(): number | null | undefined {
    return this.child?.exitCode;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts the process and resolves once it listens; `port` reuses a port (a restarted node). */
  async start(port = 0): Promise<this> {
    this.output = '';
    this.events.length = 0;
    const { NODE_OPTIONS: _jestFlags, ...env } = process.env;
    const child = spawn(process.execPath, ['--enable-source-maps', '--expose-gc', '--import', REGISTER, ENTRY], {
      env: { ...env, NO_COLOR: '1', PORT: String(port), P2P_NODE_OPTIONS: JSON.stringify(this.options) },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'advanced',
    });
    this.child = child;
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-8000);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    const ready = new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(this.failure(`did not start within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(this.failure(`exited while starting (code ${code}, signal ${signal})`));
      });
      child.on('message', (message: NodeReply) => {
        if (message.type === 'ready') {
          clearTimeout(timer);
          resolve(message.port);
        } else if (message.type === 'event') this.events.push(message.event);
        else {
          this.calls.get(message.id)?.(message);
          this.calls.delete(message.id);
        }
      });
    });
    this.port = await ready;
    this.url = `http://127.0.0.1:${this.port}`;
    return this;
  }

  /**
   * Throws, with the node's last output, unless the process is still running `quietMs` from now (a crash closes the
   * node's sockets a moment before its exit event arrives).
   */
  async expectRunning(quietMs = 300): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, quietMs));
    if (!this.running) throw this.failure(`is not running (exit code ${this.child?.exitCode}, signal ${this.child?.signalCode})`);
  }

  /**
   * Calls a PairingService method on the node, `heldCounts` (what the node holds beside its connections: kept
   * outboxes, grace timers, ...) or `rss` (its resident memory; `rss(true)` after a full GC); resolves with its
   * (structured-clone) result.
   */
  call<T = unknown>(method: string, ...args: unknown[]): Promise<T> {
    const child = this.child;
    if (!child?.connected) return Promise.reject(this.failure('is not running'));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.calls.delete(id);
        reject(this.failure(`did not answer ${method} within ${CALL_TIMEOUT_MS} ms`));
      }, CALL_TIMEOUT_MS);
      this.calls.set(id, (reply) => {
        clearTimeout(timer);
        if (reply.error !== undefined) reject(new Error(`${this.name}.${method} failed: ${reply.error}`));
        else resolve(reply.value as T);
      });
      child.send({ type: 'call', id, method, args } satisfies NodeRequest);
    });
  }

  /** A clean shutdown (the app closes: its clients leave the shared store); SIGKILL if it takes too long. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = once(child, 'exit');
    if (child.connected) child.send({ type: 'close' } satisfies NodeRequest);
    else child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), EXIT_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }

  /** SIGTERM, as an orchestrator stops a node (Nest's shutdown hooks drain it); resolves once it exited. */
  async terminate(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), EXIT_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }

  /** Death without warning. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }

  /** The node's recent output, for failure messages. */
  get log(): string {
    return this.output;
  }

  private failure(what: string): Error {
    return new Error(`cluster node ${this.name} ${what}; its last output:\n${this.output}`);
  }
}
