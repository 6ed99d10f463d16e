import type { GatewayContext } from '../connection/p2p-connection.state.js';

type Next = (err?: Error) => void;

/**
 * The `maxClients` limit of one gateway node: the namespace's connected sockets plus those admitted but not yet added
 * by Socket.IO. Per node: a cluster of nodes accepts up to `maxClients` on each.
 */
export class ClientCapacity {
  /** Connections that passed the check and whose `next` has not yet led Socket.IO to add (or drop) the socket. */
  private admitting = 0;

  constructor(
    private readonly gateway: GatewayContext,
    private readonly max: number | undefined,
  ) {}

  /**
   * Takes a place for a connection. Resolves to the middleware's `next` wrapped to give the place back once Socket.IO
   * has acted on it, or undefined when the node is full. At capacity, a client that would take its own id back (same
   * session token hash, or any newcomer under the `replace` policy) is let in: it frees the place its holder had.
   */
  async reserve(clientId: string, sessionTokenHash: string | undefined, next: Next): Promise<Next | undefined> {
    if (this.max === undefined) return next;
    if (this.gateway.namespace.sockets.size + this.admitting >= this.max && !(await this.takesOver(clientId, sessionTokenHash))) {
      return undefined;
    }
    this.admitting++;
    let pending = true;
    return (err?: Error) => {
      next(err);
      if (!pending) return;
      pending = false;
      // Socket.IO adds an admitted socket to the namespace on the next tick after `next`; count it until then.
      process.nextTick(() => this.admitting--);
    };
  }

  private async takesOver(clientId: string, sessionTokenHash: string | undefined): Promise<boolean> {
    const holder = await this.gateway.engine.store.getClient(clientId);
    if (!holder) return false;
    if (this.gateway.options.duplicateClientId === 'replace') return true;
    return holder.sessionTokenHash !== undefined && holder.sessionTokenHash === sessionTokenHash;
  }
}
