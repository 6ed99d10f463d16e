import type { P2pClientSocket } from './client-socket.interface.js';

/**
 * Puts this client's clientId (when given), session token, protocol version and, with `p2pWebRtc` and `p2pE2eCommit`,
 * its WebRTC and e2e options into `socket.auth`, which the gateway reads in the handshake. A function `auth` is wrapped, an object merged.
 */
export function declareIdentity(
  socket: P2pClientSocket,
  clientId: string | undefined,
  sessionToken: string,
  p2pProtocol: number,
  p2pWebRtc: boolean,
  p2pE2eCommit = false,
): void {
  // Option webrtc is declared too, so that the peer learns it (PeerInfo's `peerWebRtc`) and tries only when both did.
  const webRtc = p2pWebRtc ? { p2pWebRtc: true } : {};
  // Option e2e: the gateway may carry the key exchange's pre-commitment with the pairing (docs/e2e.md).
  const e2e = p2pE2eCommit ? { p2pE2eCommit: true } : {};
  const ours = { ...(clientId === undefined ? {} : { clientId }), sessionToken, p2pProtocol, ...webRtc, ...e2e };
  const auth = socket.auth;
  if (typeof auth === 'function') {
    socket.auth = (cb) => auth((data) => cb({ ...data, ...ours }));
  } else {
    socket.auth = { ...auth, ...ours };
  }
  // The server reads the handshake once: a socket that is connected already must connect again to declare itself.
  if (socket.connected) socket.disconnect().connect();
}

/** The clientId in `socket.auth`, when it is an object that holds one. */
export function declaredClientId(socket: P2pClientSocket): string | undefined {
  const auth = socket.auth;
  const clientId = typeof auth === 'object' && auth !== null ? (auth as { clientId?: unknown }).clientId : undefined;
  return typeof clientId === 'string' ? clientId : undefined;
}
