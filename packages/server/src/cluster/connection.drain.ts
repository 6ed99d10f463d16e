import type { Namespace } from 'socket.io';

/**
 * Empties a node that shuts down: Engine.IO turns every new connection away (the clients retry, through the load
 * balancer, elsewhere), and a cluster node closes its connections at the transport so their clients reconnect to
 * another node, then waits, within a bound, for their departures and what it still owes the other nodes.
 */
export class ConnectionDrain {
  constructor(private readonly namespace: Namespace) {}

  /** Engine.IO turns every new connection away (the clients retry, through the load balancer, elsewhere). */
  refuseNewConnections(): void {
    const engine = this.namespace?.server?.engine as { opts?: { allowRequest?: unknown } } | undefined;
    if (!engine?.opts) return;
    engine.opts.allowRequest = (_request: unknown, answer: (error: string, allowed: boolean) => void) =>
      answer('the gateway node is shutting down', false);
  }

  /**
   * Closes every connection, waits until they are gone, then for `departures` (the store recording them) and `flush`
   * (what they caused for other nodes), all within `timeoutMs`.
   */
  async drainConnections(timeoutMs: number, departures: () => Promise<unknown>, flush: () => Promise<unknown>): Promise<void> {
    // A transport close ('forced close' on this side), which handleDisconnect counts as a drop while draining: Socket.IO
    // clients reconnect after it, and those with a session resume their pairing on the node they reach.
    for (const socket of this.namespace.sockets.values()) socket.conn.close();
    const deadline = Date.now() + timeoutMs;
    while (this.namespace.sockets.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    await withinMs(departures(), Math.max(0, deadline - Date.now()));
    await withinMs(flush(), Math.max(0, deadline - Date.now()));
  }
}

/** `promise`, or nothing more to wait for after `ms`. */
export function withinMs(promise: Promise<unknown>, ms: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise((resolve) => (timer = setTimeout(resolve, ms)));
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}
