import { createHash } from 'node:crypto';
import type { Socket } from 'socket.io';
import { P2P_RELIABLE_PROTOCOL, P2pError } from 'nest-p2p-gateway-protocol';
import { authenticatedSessionHash } from '../auth/authenticated-session.hash.js';
import { clientIdProblem } from '../options/client-id.rule.js';
import type { ResolvedP2pOptions } from '../options/p2p-options.resolve.js';

export interface ClientIdentity {
  clientId: string;
  sessionTokenHash?: string;
  protocolVersion: number;
  /** Protocol 3: the client upgrades pairings to WebRTC (`auth.p2pWebRtc: true`). */
  webrtc?: boolean;
  /** Protocol 3: the client takes the end-to-end key exchange's pre-commitment with its pairing (`auth.p2pE2eCommit: true`). */
  e2eCommit?: boolean;
}

const MAX_SESSION_TOKEN_LENGTH = 256;

function single(value: unknown): unknown {
  return Array.isArray(value) ? undefined : value;
}

/** A clientId a client claims next to an authenticated one: absent (undefined, null, '') or the same. */
function claimMatches(claimed: unknown, authenticatedId: string): boolean {
  return claimed === undefined || claimed === null || claimed === '' || claimed === authenticatedId;
}

/**
 * Reads who is connecting: `auth.clientId` or the original `?clientId=` query, the optional session token (auth only,
 * so it stays out of URLs and logs) and the declared protocol version. Throws P2pError INVALID_CLIENT_ID.
 *
 * With `authenticatedId` (from the `authenticate` hook) that id is the clientId: a claimed one must be absent or
 * equal (else UNAUTHORIZED), and the session is the identity's own, whatever token the client sent.
 */
export function readClientIdentity(handshake: Socket['handshake'], options: ResolvedP2pOptions, authenticatedId?: string): ClientIdentity {
  const auth = (typeof handshake.auth === 'object' && handshake.auth !== null ? handshake.auth : {}) as Record<string, unknown>;
  const query = handshake.query as Record<string, unknown>;
  if (authenticatedId !== undefined && !(claimMatches(auth.clientId, authenticatedId) && claimMatches(query.clientId, authenticatedId))) {
    throw new P2pError('UNAUTHORIZED', 'the claimed clientId is not the authenticated one');
  }
  const clientId = authenticatedId ?? ('clientId' in auth ? auth.clientId : single(query.clientId));
  if (typeof clientId !== 'string' || clientId.length === 0) {
    throw new P2pError('INVALID_CLIENT_ID', 'clientId is required (auth.clientId or ?clientId=)');
  }
  const problem = clientIdProblem(clientId, options);
  if (problem) throw new P2pError('INVALID_CLIENT_ID', `clientId ${problem}`);
  const token = auth.sessionToken;
  if (token !== undefined && (typeof token !== 'string' || token.length === 0 || token.length > MAX_SESSION_TOKEN_LENGTH)) {
    throw new P2pError('INVALID_CLIENT_ID', `sessionToken must be a string of 1 to ${MAX_SESSION_TOKEN_LENGTH} characters`);
  }
  const declared = Number('p2pProtocol' in auth ? auth.p2pProtocol : single(query.p2pProtocol));
  const protocolVersion = Number.isInteger(declared) && declared >= 1 ? declared : 1;
  return {
    clientId,
    sessionTokenHash:
      authenticatedId !== undefined
        ? authenticatedSessionHash(authenticatedId)
        : typeof token === 'string'
          ? createHash('sha256').update(token).digest('hex')
          : undefined,
    protocolVersion,
    ...(protocolVersion >= P2P_RELIABLE_PROTOCOL && auth.p2pWebRtc === true ? { webrtc: true } : {}),
    ...(protocolVersion >= P2P_RELIABLE_PROTOCOL && auth.p2pE2eCommit === true ? { e2eCommit: true } : {}),
  };
}
