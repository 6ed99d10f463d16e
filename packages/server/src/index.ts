export * from 'nest-p2p-gateway-protocol';
export { P2pModule, type P2pModuleAsyncOptions, type P2pModuleRootOptions } from './p2p.module.js';
export { P2P_MODULE_OPTIONS, type P2pModuleExtras, type P2pOptionsFactory } from './p2p-module.definition.js';
export type { P2pModuleOptions, ClientIdOptions } from './options/p2p-options.interface.js';
export type * from './auth/p2p-auth.types.js';
export type * from './options/p2p-discovery.types.js';
export {
  DEFAULT_P2P_LIMITS,
  type P2pLimitsOptions,
  type RateLimitOptions,
  type ResolvedP2pLimits,
  type ResolvedRate,
} from './options/p2p-limits.options.js';
export { DEFAULT_CLIENT_ID_PATTERN, resolveP2pOptions, type ResolvedP2pOptions } from './options/p2p-options.resolve.js';
export { P2P_RESOLVED_OPTIONS, P2P_STORE } from './tokens/p2p.constants.js';
export {
  PairingService,
  type P2pClientInfo,
  type P2pClientPage,
  type P2pClientPageOptions,
  type P2pPairingInfo,
} from './pairing/pairing.service.js';
export type { P2pLifecycleEvent, P2pLifecycleEventType } from './pairing/p2p-lifecycle.event.js';
export type * from './stores/pairing-store.interface.js';
export { InMemoryPairingStore } from './stores/in-memory-pairing.store.js';
export {
  DEFAULT_CONTROL_CENTER_PATH,
  type P2pControlCenterOptions,
  type ResolvedControlCenterOptions,
} from './options/control-center.options.js';
export type { P2pRedisClient, P2pRedisOptions } from './options/redis-cluster.options.js';
export { NodeDrainService } from './cluster/node-drain.service.js';
export {
  DEFAULT_METRICS_PATH,
  type P2pMetricsOptions,
  type P2pMetricsRegistry,
  type ResolvedMetricsOptions,
} from './options/p2p-metrics.options.js';
export type { P2pTrafficStats } from './metrics/p2p-metrics.service.js';
export type { TrafficSample } from './metrics/traffic.history.js';
export type { DirectionTraffic } from './metrics/pairing-traffic.table.js';
export { P2pDrainState } from './health/p2p-drain.state.js';
export { P2pHealthProbe, type P2pHealthReport, DEFAULT_HEALTH_TIMEOUT_MS } from './health/p2p-health.probe.js';
export type {
  P2pCanUpgradeHook,
  P2pTurnOptions,
  P2pWebRtcOptions,
  ResolvedTurnOptions,
  ResolvedWebRtcOptions,
} from './options/webrtc.options.js';
export { mintTurnCredential, turnPassword, type TurnCredential } from './webrtc/turn-credentials.minter.js';
export type { RelayStatsSnapshot } from './pairing/relay.stats.js';
