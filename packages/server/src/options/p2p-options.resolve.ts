import { randomUUID } from 'node:crypto';
import type { ServerOptions } from 'socket.io';
import type { P2pAuthenticateHook, P2pCanPairHook } from '../auth/p2p-auth.types.js';
import { type ResolvedP2pLimits, resolveP2pLimits, withRoomForOversizedMessages } from './p2p-limits.options.js';
import type { P2pModuleOptions } from './p2p-options.interface.js';
import { type ResolvedClusterOptions, resolveClusterOptions } from './redis-cluster.options.js';
import { type ResolvedControlCenterOptions, resolveControlCenter } from './control-center.options.js';
import { type ResolvedMetricsOptions, resolveMetrics } from './p2p-metrics.options.js';
import { type ResolvedDiscovery, resolveDiscovery, resolveListPageSize } from './discovery.options.js';
import type { DuplicateClientIdPolicy, PairingStore } from '../stores/pairing-store.interface.js';
import { type ResolvedWebRtcOptions, resolveWebRtcOptions } from './webrtc.options.js';

/**
 * Options with every default applied; what the gateway and the pairing logic read. Plain data: nothing here is opened
 * or closed (the Redis connections of a cluster node are `P2P_CLUSTER`'s, the store in use is `P2P_STORE`).
 */
export interface ResolvedP2pOptions {
  namespace: string;
  port: number;
  serverOptions: Partial<ServerOptions>;
  pairTimeoutMs: number;
  ackTimeoutMs: number;
  clientIdMaxLength: number;
  clientIdPattern: RegExp;
  duplicateClientId: DuplicateClientIdPolicy;
  reconnectGraceMs: number;
  reconnectBufferSize: number;
  /** The store the app gave (`store` option); without one, the module makes its own (`P2P_STORE`). */
  store?: PairingStore;
  nodeId: string;
  authenticate?: P2pAuthenticateHook;
  authenticateTimeoutMs: number;
  canPair?: P2pCanPairHook;
  canPairTimeoutMs: number;
  discovery: ResolvedDiscovery;
  discoveryTimeoutMs: number;
  listPageSize: number;
  limits: ResolvedP2pLimits;
  /** Set when the gateway runs as a cluster node (`redis` option). */
  cluster?: ResolvedClusterOptions;
  /** Set when the control center is on. */
  controlCenter?: ResolvedControlCenterOptions;
  /** Set when the Prometheus metrics are on. */
  metrics?: ResolvedMetricsOptions;
  /** Set when paired clients may upgrade to a direct WebRTC path. */
  webrtc?: ResolvedWebRtcOptions;
}

export const DEFAULT_CLIENT_ID_PATTERN = /^[A-Za-z0-9_.:@-]+$/;

function positiveMs(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) throw new TypeError(`P2pModule: ${name} must be a positive number of ms`);
  return value;
}

function nonNegativeInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 0) throw new TypeError(`P2pModule: ${name} must be a whole number >= 0`);
  return value;
}

/**
 * Socket.IO's `connectTimeout` unless the app sets its own: how long an engine.io connection may stay without joining a
 * namespace before Socket.IO closes it. Socket.IO's 45 s default would let sessions that never join pile up; 10 s is
 * plenty for a handshake, and never less than `authenticateTimeoutMs` plus 5 s, so a slow `authenticate` still decides.
 */
export function connectTimeoutFor(authenticateTimeoutMs: number): number {
  return Math.max(10_000, authenticateTimeoutMs + 5_000);
}

export function resolveP2pOptions(options: P2pModuleOptions = {}): ResolvedP2pOptions {
  const maxLength = options.clientId?.maxLength ?? 128;
  if (!Number.isInteger(maxLength) || maxLength < 1) throw new TypeError('P2pModule: clientId.maxLength must be >= 1');
  const limits = resolveP2pLimits(options.limits);
  const controlCenter = resolveControlCenter(options.controlCenter);
  const authenticateTimeoutMs = positiveMs('authenticateTimeoutMs', options.authenticateTimeoutMs, 5_000);
  if (options.store && options.redis) throw new TypeError('P2pModule: give either `store` or `redis`, not both');
  return {
    namespace: options.namespace ?? '/',
    port: options.port ?? 0,
    serverOptions: withRoomForOversizedMessages(
      { allowEIO3: true, connectTimeout: connectTimeoutFor(authenticateTimeoutMs), ...options.serverOptions },
      limits,
    ),
    pairTimeoutMs: positiveMs('pairTimeoutMs', options.pairTimeoutMs, 10_000),
    ackTimeoutMs: positiveMs('ackTimeoutMs', options.ackTimeoutMs, 10_000),
    clientIdMaxLength: maxLength,
    clientIdPattern: options.clientId?.pattern ?? DEFAULT_CLIENT_ID_PATTERN,
    duplicateClientId: options.duplicateClientId ?? 'refuse',
    reconnectGraceMs: nonNegativeInteger('reconnectGraceMs', options.reconnectGraceMs, 5_000),
    reconnectBufferSize: nonNegativeInteger('reconnectBufferSize', options.reconnectBufferSize, 100),
    store: options.store,
    nodeId: options.nodeId ?? randomUUID(),
    authenticate: options.authenticate,
    authenticateTimeoutMs,
    canPair: options.canPair,
    canPairTimeoutMs: positiveMs('canPairTimeoutMs', options.canPairTimeoutMs, 5_000),
    discovery: resolveDiscovery(options.discovery),
    discoveryTimeoutMs: positiveMs('discoveryTimeoutMs', options.discoveryTimeoutMs, 5_000),
    listPageSize: resolveListPageSize(options.listPageSize),
    limits,
    cluster: options.redis ? resolveClusterOptions(options.redis) : undefined,
    controlCenter,
    metrics: resolveMetrics(options.metrics, controlCenter !== undefined),
    webrtc: resolveWebRtcOptions(options.webrtc),
  };
}
