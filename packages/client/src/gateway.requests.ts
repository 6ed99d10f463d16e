import { P2pError } from 'nest-p2p-gateway-protocol';
import type { P2pClientSocket } from './client-socket.interface.js';
import type { GatewayWatch } from './gateway.watch.js';

/** Emits `event(...args)` to the gateway with an ack and a bound on the wait; resolves with the ack's arguments. */
export type GatewayCall = (event: string, args: unknown[], timeoutMs: number) => Promise<unknown[]>;

/**
 * The client's requests to the gateway (pair, answer, unpair, list, relays with ack): each waits for its ack at most
 * `timeoutMs` and rejects with a P2pError (REQUEST_TIMEOUT, NOT_CONNECTED), or at once with NO_GATEWAY while the
 * gateway watch found no gateway on the socket's namespace.
 */
export class GatewayRequests {
  constructor(
    private readonly socket: Pick<P2pClientSocket, 'connected' | 'timeout'>,
    private readonly gatewayWatch: Pick<GatewayWatch, 'missing'>,
  ) {}

  /** Emits with an ack and a bound on the wait; resolves with the ack's arguments. */
  readonly call: GatewayCall = (event, args, timeoutMs) => {
    if (this.gatewayWatch.missing) return Promise.reject(this.gatewayWatch.missing);
    return new Promise((resolve, reject) => {
      this.socket.timeout(timeoutMs).emit(event, ...args, (timedOut: Error | null, ...results: unknown[]) => {
        if (!timedOut) return resolve(results);
        const code = this.socket.connected ? 'REQUEST_TIMEOUT' : 'NOT_CONNECTED';
        reject(new P2pError(code, `${event}: ${timedOut.message}`, event));
      });
    });
  };
}
