import type { Server } from 'socket.io';

type AllowRequestAnswer = (error: string | null | undefined, allowed: boolean) => void;
type AllowRequest = (request: unknown, answer: AllowRequestAnswer) => void;

interface EngineConnection {
  request: unknown;
  on(event: 'packetCreate', listener: (packet: { type: string; data?: unknown }) => void): unknown;
  off(event: 'packetCreate', listener: (packet: { type: string; data?: unknown }) => void): unknown;
  once(event: 'close', listener: () => void): unknown;
  off(event: 'close', listener: () => void): unknown;
}

interface Engine {
  opts: { allowRequest?: AllowRequest };
  on(event: 'connection', listener: (connection: EngineConnection) => void): unknown;
}

/**
 * How long a handshake engine.io let through may take to become a connection before its place is given back (one
 * that failed on the way, its WebSocket upgrade say, never does).
 */
const ADMITTING_MS = 10_000;

/** What engine.io answers a handshake past the bound with (HTTP 403, or a refused WebSocket upgrade). */
export const PENDING_CONNECTIONS_REFUSAL = 'too many connections have not joined a namespace yet';

/**
 * `limits.maxPendingConnections`: engine.io connections that have not joined any Socket.IO namespace yet (a raw
 * handshake that goes no further, a client still in the connection middleware or refused by it) are counted, and a new
 * handshake past the bound is refused by engine.io's `allowRequest`, before a session exists. `maxClients` counts only
 * admitted sockets; this bounds the rest, and Socket.IO's `connectTimeout` closes each of them in time.
 *
 * A connection counts as joined once the server sends it a Socket.IO CONNECT packet (a message starting with `0`):
 * whatever namespace it joined, dynamic ones included, with no reliance on Socket.IO internals. An app's own
 * `allowRequest` still runs, after this check.
 */
export class PendingConnectionsBound {
  private pending = 0;
  /**
   * Handshakes let through whose connection engine.io has not made yet (it awaits an id first), with when: counted
   * too, so that a burst of simultaneous handshakes cannot all pass the check before any is counted.
   */
  private readonly admitting = new Map<unknown, number>();

  constructor(private readonly max: number) {}

  /** How many engine.io connections have not joined a namespace yet (diagnostics and tests). */
  get count(): number {
    return this.pending + this.admitting.size;
  }

  install(server: Server): void {
    const engine = server.engine as unknown as Engine | undefined;
    if (!engine?.opts) return;
    const appAllowRequest = engine.opts.allowRequest;
    engine.opts.allowRequest = (request, answer) => {
      if (this.isFull()) return answer(PENDING_CONNECTIONS_REFUSAL, false);
      const admit: AllowRequestAnswer = (error, allowed) => {
        if (allowed) this.admitting.set(request, Date.now());
        answer(error, allowed);
      };
      if (appAllowRequest) appAllowRequest(request, admit);
      else admit(null, true);
    };
    engine.on('connection', (connection) => {
      this.admitting.delete(connection.request);
      this.track(connection);
    });
  }

  private isFull(): boolean {
    if (this.count < this.max) return false;
    // Only at the bound: forget handshakes let through long ago that never became a connection.
    const stale = Date.now() - ADMITTING_MS;
    for (const [request, at] of this.admitting) if (at < stale) this.admitting.delete(request);
    return this.count >= this.max;
  }

  private track(connection: EngineConnection): void {
    this.pending++;
    const settle = (): void => {
      this.pending--;
      connection.off('packetCreate', onPacket);
      connection.off('close', settle);
    };
    const onPacket = (packet: { type: string; data?: unknown }): void => {
      if (packet.type === 'message' && typeof packet.data === 'string' && packet.data.startsWith('0')) settle();
    };
    connection.on('packetCreate', onPacket);
    connection.once('close', settle);
  }
}
