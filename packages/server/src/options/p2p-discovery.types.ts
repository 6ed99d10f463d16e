import type { P2pPairParty } from '../auth/p2p-auth.types.js';

/**
 * Decides whether `viewer` may learn that `client` is connected, one client at a time, with `{clientId}` objects:
 * the same shape as `canPair`, so `discovery: canPair` hides whoever a client may not pair with. Anything but `true`
 * (false, a throw, a rejection) hides the client.
 */
export type P2pDiscoveryHook = (viewer: P2pPairParty, client: P2pPairParty) => boolean | Promise<boolean>;

/** A predicate for one viewer, applied to every client of the page. Anything but `true` (or a throw) hides the client. */
export type P2pVisibleTo = (client: P2pPairParty) => boolean;

/**
 * The efficient form of the hook: `forViewer` is asked once per request (load the viewer's friends, say) and returns
 * a synchronous predicate that the gateway applies to each client of the page.
 */
export interface P2pDiscoveryPolicy {
  forViewer(viewer: P2pPairParty): P2pVisibleTo | Promise<P2pVisibleTo>;
}

/**
 * Who may see whom, in `LIST_CLIENTS` and in the answers to `P2P_REGISTER`:
 * - `'all'`: every client sees every connected client (the original protocol's behaviour);
 * - `'none'`: `LIST_CLIENTS` is refused with LIST_FORBIDDEN (clients pair by ids they know);
 * - a hook or a policy: each client sees only the clients it lets it see, and a hidden target of `P2P_REGISTER` is
 *   answered TARGET_OFFLINE, whether it is connected or not.
 */
export type P2pDiscoveryOption = 'all' | 'none' | P2pDiscoveryHook | P2pDiscoveryPolicy;
