import type { ServerOptions } from 'socket.io';

/** A rate: `perSecond` on average, with bursts of up to `burst` at once. */
export interface RateLimitOptions {
  /** Tokens added per second. `0` disables the limit. */
  perSecond: number;
  /**
   * How many may be used at once after a quiet period (the bucket's size).
   * @default 2 * perSecond
   */
  burst?: number | undefined;
}

/**
 * Per-connection and per-node limits. Every field is optional and falls back to its default; `false` or `0` turns
 * that one limit off. `limits: false` turns them all off.
 */
export interface P2pLimitsOptions {
  /**
   * Connections this gateway node accepts at once; the next one is refused with CAPACITY. Counted per node (the
   * namespace's sockets plus those being admitted). A client taking its own id back (same session token or identity)
   * is admitted even at capacity.
   * @default 100000
   */
  maxClients?: number | false | undefined;
  /**
   * engine.io connections this node holds that have not joined a namespace yet (a raw handshake going no further, a
   * client still being admitted or refused); past it, engine.io refuses new handshakes (HTTP 403) until some join or
   * close. Socket.IO's `connectTimeout` (10 s by default here, see `serverOptions`) closes each of them in time.
   * @default 1000
   */
  maxPendingConnections?: number | false | undefined;
  /**
   * Largest relayed message (`P2P_EMIT` / `P2P_EMIT_ACKNOWLEDGE`, frames and signals), and largest acknowledgement a
   * peer sends back, in bytes as delivered: the Socket.IO packet as received, binary attachments included, each
   * attachment counted as often as the packet names it; a larger one is refused with PAYLOAD_TOO_LARGE. Socket.IO's
   * `maxHttpBufferSize` is raised to at least twice this, so a message somewhat over the limit gets the code instead of
   * a dropped connection. While it is on, a packet may have up to 256 attachments (TOO_MANY_ATTACHMENTS past 10).
   * @default 65536 (64 KiB)
   */
  maxMessageBytes?: number | false | undefined;
  /**
   * Relayed messages per connection; over it, RATE_LIMITED. Every relay attempt counts, refused ones included.
   * @default { perSecond: 1000, burst: 2000 }
   */
  relayMessages?: RateLimitOptions | false | undefined;
  /**
   * Relayed bytes per connection (measured as for `maxMessageBytes`); over it, RATE_LIMITED. Its burst must be at
   * least `maxMessageBytes`.
   * @default { perSecond: 4194304, burst: 8388608 } (4 MiB/s, bursts of 8 MiB)
   */
  relayBytes?: RateLimitOptions | false | undefined;
  /**
   * Pairing requests (`P2P_REGISTER`) per connection; over it, RATE_LIMITED. Also bounds how often `canPair` runs.
   * @default { perSecond: 5, burst: 10 }
   */
  pairRequests?: RateLimitOptions | false | undefined;
  /**
   * `LIST_CLIENTS` requests per connection (each lists every client); over it, RATE_LIMITED as a `P2P_ERROR`.
   * @default { perSecond: 10, burst: 20 }
   */
  listRequests?: RateLimitOptions | false | undefined;
  /**
   * Closes a connection whose limit violations (RATE_LIMITED, PAYLOAD_TOO_LARGE) exceed this many within a minute
   * (counted by a bucket of this size refilling over 60 s). Its peer gets `P2P_DISCONNECT(clientId, 'DISCONNECTED')`.
   * @default 50
   */
  disconnectAfterViolations?: number | false | undefined;
  /**
   * Bytes the gateway may hold for one connection that it could not write yet (engine.io's write buffer plus the
   * WebSocket's unsent bytes): a client that stops reading makes them grow. Past it, relays to that connection are
   * refused to their senders with PEER_SLOW (every client and protocol), so a slow reader costs the server at most
   * about this much.
   * @default 1048576 (1 MiB)
   */
  maxBufferedBytes?: number | false | undefined;
  /**
   * A connection still over `maxBufferedBytes` this long after a relay to it was refused is closed; its peer gets
   * `P2P_DISCONNECT(clientId, 'SLOW_CONSUMER')`.
   * @default 10000
   */
  slowConsumerTimeoutMs?: number | false | undefined;
}

/** A rate with its defaults applied, in tokens per millisecond. */
export interface ResolvedRate {
  perMs: number;
  burst: number;
}

/** Limits with defaults applied; `undefined` means off. */
export interface ResolvedP2pLimits {
  maxClients?: number;
  maxPendingConnections?: number;
  maxMessageBytes?: number;
  relayMessages?: ResolvedRate;
  relayBytes?: ResolvedRate;
  pairRequests?: ResolvedRate;
  listRequests?: ResolvedRate;
  disconnectAfterViolations?: number;
  maxBufferedBytes?: number;
  slowConsumerTimeoutMs?: number;
}

export const DEFAULT_P2P_LIMITS = {
  maxClients: 100_000,
  maxPendingConnections: 1000,
  maxMessageBytes: 64 * 1024,
  relayMessages: { perSecond: 1000, burst: 2000 },
  relayBytes: { perSecond: 4 * 1024 * 1024, burst: 8 * 1024 * 1024 },
  pairRequests: { perSecond: 5, burst: 10 },
  listRequests: { perSecond: 10, burst: 20 },
  disconnectAfterViolations: 50,
  maxBufferedBytes: 1024 * 1024,
  slowConsumerTimeoutMs: 10_000,
} as const satisfies Required<P2pLimitsOptions>;

/** Socket.IO's own default `maxHttpBufferSize`. */
const SOCKET_IO_MAX_HTTP_BUFFER_SIZE = 1e6;

function count(name: string, value: number | false | undefined, fallback: number): number | undefined {
  if (value === undefined) return fallback;
  if (value === false || value === 0) return undefined;
  if (!Number.isInteger(value) || value < 0) throw new TypeError(`P2pModule: limits.${name} must be a positive integer, 0 or false`);
  return value;
}

function rate(name: string, value: RateLimitOptions | false | undefined, fallback: Required<RateLimitOptions>): ResolvedRate | undefined {
  if (value === undefined) return { perMs: fallback.perSecond / 1000, burst: fallback.burst };
  if (value === false || value.perSecond === 0) return undefined;
  const { perSecond, burst = 2 * perSecond } = value;
  if (!Number.isFinite(perSecond) || perSecond < 0)
    throw new TypeError(`P2pModule: limits.${name}.perSecond must be a positive number or 0`);
  if (!Number.isFinite(burst) || burst < 1) throw new TypeError(`P2pModule: limits.${name}.burst must be at least 1`);
  return { perMs: perSecond / 1000, burst };
}

export function resolveP2pLimits(options: P2pLimitsOptions | false | undefined): ResolvedP2pLimits {
  if (options === false) return {};
  const d = DEFAULT_P2P_LIMITS;
  const limits: ResolvedP2pLimits = {
    maxClients: count('maxClients', options?.maxClients, d.maxClients),
    maxPendingConnections: count('maxPendingConnections', options?.maxPendingConnections, d.maxPendingConnections),
    maxMessageBytes: count('maxMessageBytes', options?.maxMessageBytes, d.maxMessageBytes),
    relayMessages: rate('relayMessages', options?.relayMessages, d.relayMessages),
    relayBytes: rate('relayBytes', options?.relayBytes, d.relayBytes),
    pairRequests: rate('pairRequests', options?.pairRequests, d.pairRequests),
    listRequests: rate('listRequests', options?.listRequests, d.listRequests),
    disconnectAfterViolations: count('disconnectAfterViolations', options?.disconnectAfterViolations, d.disconnectAfterViolations),
    maxBufferedBytes: count('maxBufferedBytes', options?.maxBufferedBytes, d.maxBufferedBytes),
    slowConsumerTimeoutMs: count('slowConsumerTimeoutMs', options?.slowConsumerTimeoutMs, d.slowConsumerTimeoutMs),
  };
  if (limits.relayBytes && limits.maxMessageBytes !== undefined && limits.relayBytes.burst < limits.maxMessageBytes) {
    throw new TypeError('P2pModule: limits.relayBytes.burst must be at least limits.maxMessageBytes');
  }
  return limits;
}

/**
 * Socket.IO drops a connection that sends a packet over `maxHttpBufferSize`; keeping it well above `maxMessageBytes`
 * lets an oversized relay be answered with PAYLOAD_TOO_LARGE instead. An explicit value at or below the limit is an
 * error.
 */
export function withRoomForOversizedMessages(serverOptions: Partial<ServerOptions>, limits: ResolvedP2pLimits): Partial<ServerOptions> {
  const { maxMessageBytes } = limits;
  if (maxMessageBytes === undefined) return serverOptions;
  const explicit = serverOptions.maxHttpBufferSize;
  if (explicit !== undefined) {
    if (explicit <= maxMessageBytes) {
      throw new TypeError('P2pModule: serverOptions.maxHttpBufferSize must be larger than limits.maxMessageBytes');
    }
    return serverOptions;
  }
  const needed = 2 * maxMessageBytes;
  return needed > SOCKET_IO_MAX_HTTP_BUFFER_SIZE ? { ...serverOptions, maxHttpBufferSize: needed } : serverOptions;
}
