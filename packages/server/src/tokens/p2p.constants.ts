/** Injection token of the options with defaults applied (`ResolvedP2pOptions`). */
export const P2P_RESOLVED_OPTIONS = Symbol('P2P_RESOLVED_OPTIONS');

/** Injection token of the `PairingStore` the module uses. */
export const P2P_STORE = Symbol('P2P_STORE');

/** Injection token of the gateway's `GatewayMeter`; its value is undefined while metrics and control center are off. */
export const P2P_METER = Symbol('P2P_METER');

/** Injection token of this module's gateway instance (its class is made per module). */
export const P2P_GATEWAY = Symbol('P2P_GATEWAY');

/**
 * Injection token of a cluster node's Redis setup (`ClusterSetup`: the shared store, the adapter, this node's channel
 * and the connections behind them), which closes its connections at application shutdown; undefined without `redis`.
 */
export const P2P_CLUSTER = Symbol('P2P_CLUSTER');
