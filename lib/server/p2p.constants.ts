/** Injection token of the options with defaults applied (`ResolvedP2pOptions`). */
export const P2P_RESOLVED_OPTIONS = Symbol('P2P_RESOLVED_OPTIONS');

/** Injection token of the `PairingStore` the module uses. */
export const P2P_STORE = Symbol('P2P_STORE');
