export * from '../protocol/index.js';
export { P2pModule } from './p2p.module.js';
export { P2P_MODULE_OPTIONS } from './p2p-module.definition.js';
export type { P2pModuleOptions, ClientIdOptions } from './p2p-options.interface.js';
export type * from './auth/p2p-auth.types.js';
export {
  DEFAULT_P2P_LIMITS,
  type P2pLimitsOptions,
  type RateLimitOptions,
  type ResolvedP2pLimits,
  type ResolvedRate,
} from './limits/p2p-limits.options.js';
export { DEFAULT_CLIENT_ID_PATTERN, resolveP2pOptions, type ResolvedP2pOptions } from './p2p-options.resolve.js';
export { P2P_RESOLVED_OPTIONS, P2P_STORE } from './p2p.constants.js';
export { PairingService, type P2pClientInfo, type P2pPairingInfo } from './pairing.service.js';
export type { P2pLifecycleEvent, P2pLifecycleEventType } from './p2p-lifecycle-event.js';
export type * from './stores/pairing-store.interface.js';
export { InMemoryPairingStore } from './stores/in-memory-pairing.store.js';
export {
  DEFAULT_CONTROL_CENTER_PATH,
  type P2pControlCenterOptions,
  type ResolvedControlCenterOptions,
} from './control-center/control-center.options.js';
export type { P2pRedisOptions } from './cluster/redis-cluster.options.js';
export type {
  P2pCanUpgradeHook,
  P2pTurnOptions,
  P2pWebRtcOptions,
  ResolvedTurnOptions,
  ResolvedWebRtcOptions,
} from './webrtc/webrtc.options.js';
export { mintTurnCredential, turnPassword, type TurnCredential } from './webrtc/turn-credentials.js';
export type { RelayStatsSnapshot } from './relay-stats.js';
