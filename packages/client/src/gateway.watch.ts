import { P2pError, P2pEvent } from 'nest-p2p-gateway-protocol';
import type { P2pClientSocket } from './client-socket.interface.js';

/** Options of P2pClient's check that a gateway answers on the socket's namespace. */
export interface P2pGatewayWatchOptions {
  /**
   * After the socket connects, how long to wait for the gateway's `P2P_SESSION` (a protocol 2 client gets it first
   * thing on every connection) before reporting `NO_GATEWAY` on the `error` event: the socket reached a Socket.IO
   * server, but no gateway serves that namespace (a `namespace` option the URL does not name, say). Requests made
   * after that reject at once with `NO_GATEWAY` until a gateway answers. `0` turns the check off.
   * @default 5000
   */
  sessionTimeoutMs?: number | undefined;
}

export const DEFAULT_SESSION_TIMEOUT_MS = 5_000;

/**
 * Watches each connection of a socket for the gateway's `P2P_SESSION`. A connection that gets none in time means the
 * namespace has no gateway: `onMissing` is called once per connection with a NO_GATEWAY error naming the namespace.
 */
export class GatewayWatch {
  private timer?: ReturnType<typeof setTimeout>;
  private failure?: P2pError;

  constructor(
    private readonly socket: P2pClientSocket,
    private readonly timeoutMs: number,
    private readonly onMissing: (error: P2pError) => void,
  ) {
    if (!Number.isFinite(timeoutMs) || timeoutMs < 0) throw new TypeError('P2pClient: sessionTimeoutMs must be a number of ms >= 0');
    if (timeoutMs === 0) return;
    socket.on('connect', this.onConnect);
    socket.on(P2pEvent.SESSION, this.onSession);
    socket.on('disconnect', this.onDisconnect);
  }

  /** NO_GATEWAY while the current connection got no session in time; undefined otherwise. */
  get missing(): P2pError | undefined {
    return this.failure;
  }

  stop(): void {
    this.socket.off('connect', this.onConnect);
    this.socket.off(P2pEvent.SESSION, this.onSession);
    this.socket.off('disconnect', this.onDisconnect);
    this.clear();
  }

  private readonly onConnect = (): void => {
    this.clear();
    this.timer = setTimeout(this.onTimeout, this.timeoutMs);
    // Never keeps a Node process alive on its own.
    (this.timer as { unref?: () => void }).unref?.();
  };

  private readonly onSession = (): void => {
    this.clear();
    this.failure = undefined;
  };

  private readonly onDisconnect = (): void => this.clear();

  private readonly onTimeout = (): void => {
    this.timer = undefined;
    const namespace = (this.socket as { nsp?: unknown }).nsp;
    const where = typeof namespace === 'string' ? `namespace "${namespace}"` : 'this namespace';
    this.failure = new P2pError(
      'NO_GATEWAY',
      `connected, but no P2P gateway answered on ${where} within ${this.timeoutMs} ms: ` +
        "the gateway's `namespace` option and the URL's path must match (io('http://host/p2p') for namespace '/p2p')",
    );
    this.onMissing(this.failure);
  };

  private clear(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
