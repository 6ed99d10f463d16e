/**
 * A gateway-node.ts process for the soak and cluster benchmarks, on the shared process harness (server-process.ts):
 * the probe's stats, plus the node's own `inspect` and a clean `close`.
 */
import { fileURLToPath } from 'node:url';
import type { Inspection, NodeReply, NodeRequest, ServerStats } from '../ipc.js';
import { ServerProcess } from './server-process.js';

const SCRIPT = fileURLToPath(new URL('../gateway-node.js', import.meta.url));

export class GatewayNode {
  private readonly process: ServerProcess;

  /** `env`: REDIS_URL, P2P_KEY_PREFIX, P2P_SHARDED, P2P_GRACE_MS, BENCH_LIMITS (see gateway-node.ts). */
  constructor(
    readonly name: string,
    env: Record<string, string> = {},
  ) {
    this.process = new ServerProcess(
      { name: `gateway node ${name}`, script: SCRIPT },
      // Not pinned: a cluster runs several nodes at once. `close` is a clean Nest shutdown (a node leaves Redis tidy).
      { env, pinned: false, startTimeoutMs: 30_000, exitRequest: { type: 'close' } satisfies NodeRequest },
    );
  }

  get url(): string {
    return this.process.url;
  }

  get pid(): number | undefined {
    return this.process.pid;
  }

  /** The node's last output (errors it logged), for the report. */
  get lastOutput(): string {
    return this.process.lastOutput;
  }

  start(): Promise<void> {
    return this.process.start();
  }

  stop(): Promise<void> {
    return this.process.stop();
  }

  /** Memory (after a full GC when `gc`), CPU time and open sockets, from the preloaded probe. */
  stats(gc: boolean): Promise<ServerStats> {
    return this.process.stats(gc);
  }

  async inspect(): Promise<Inspection> {
    const reply = await this.process.ask<NodeReply>((id) => ({ type: 'inspect', id }) satisfies NodeRequest);
    return reply.inspection;
  }

  /**
   * Waits until no client connection is left on this node (engine.io's count: the probe's open TCP sockets include a
   * cluster node's Redis connections).
   */
  quiesce(): Promise<void> {
    return this.process.quiesce(async () => {
      const inspection = await this.inspect();
      return inspection.engineClients > 0 || inspection.sockets > 0;
    });
  }
}
