import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { closedPort } from '../../support/redis.js';

const START_TIMEOUT_MS = 10_000;

/** PING over a raw TCP connection: true once the server answers +PONG. */
function pong(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

/**
 * A Redis server of a suite's own, as a child process on a free port, that the suite may kill and restart without
 * disturbing the shared Redis other suites use. By default it keeps nothing: a restart comes back empty. `persistent`
 * writes every change to an append-only file (fsync always) in a temporary directory: a restart comes back with it.
 */
export class RedisServerProcess {
  port = 0;
  private child?: ChildProcess;
  private output = '';
  private dir?: string;

  constructor(private readonly persistent = false) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    if (this.port === 0) this.port = await closedPort();
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--daemonize', 'no'];
    if (this.persistent) {
      this.dir ??= mkdtempSync(join(tmpdir(), 'p2p-redis-'));
      args.push('--appendonly', 'yes', '--appendfsync', 'always', '--dir', this.dir);
    } else {
      args.push('--appendonly', 'no');
    }
    const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.output = '';
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-4000);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    let failed: Error | undefined;
    child.once('error', (error) => (failed = error));
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (!(await pong(this.port))) {
      if (failed || child.exitCode !== null) {
        const hint = failed
          ? ' (this suite runs a redis-server of its own: it needs redis-server on PATH, Debian package redis-server)'
          : '';
        throw new Error(
          `redis-server on port ${this.port} did not start (${failed?.message ?? `exit ${child.exitCode}`})${hint}:\n${this.output}`,
        );
      }
      if (Date.now() > deadline)
        throw new Error(`redis-server on port ${this.port} did not answer within ${START_TIMEOUT_MS} ms:\n${this.output}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return this;
  }

  /** Gone at once, as in a crash; its data with it. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }

  /** Kills the server and deletes what it kept on disk. */
  async dispose(): Promise<void> {
    await this.kill();
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }
}
