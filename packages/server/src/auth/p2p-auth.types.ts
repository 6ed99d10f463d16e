import type { Socket } from 'socket.io';

/** The Socket.IO handshake of a connecting client: headers, `auth`, query, address, ... */
export type P2pHandshake = Socket['handshake'];

/** What `authenticate` decides: the authoritative clientId (as is, or as `{clientId}`), or a refusal. */
export type P2pAuthenticateResult = string | { clientId: string } | null | false | undefined;

/**
 * Decides who a connecting client is. Returns its clientId, or null/false to refuse it (UNAUTHORIZED); throwing or
 * exceeding `authenticateTimeoutMs` refuses it too.
 */
export type P2pAuthenticateHook = (handshake: P2pHandshake) => P2pAuthenticateResult | Promise<P2pAuthenticateResult>;

/** One side of a pairing as `canPair` sees it. */
export interface P2pPairParty {
  clientId: string;
}

/**
 * Decides whether `source` may ask `target` to pair, before the target is asked. false, throwing or exceeding
 * `canPairTimeoutMs` refuses with PAIR_FORBIDDEN.
 */
export type P2pCanPairHook = (source: P2pPairParty, target: P2pPairParty) => boolean | Promise<boolean>;
