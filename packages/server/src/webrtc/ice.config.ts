import type { P2pIceServer } from 'nest-p2p-gateway-protocol';
import { mintTurnCredential } from './turn-credentials.minter.js';
import type { ResolvedWebRtcOptions } from '../options/webrtc.options.js';

/** The ICE servers one client gets: the configured ones, then the TURN server with a credential minted for it. */
export function iceServersFor(clientId: string, webrtc: ResolvedWebRtcOptions, nowMs: number = Date.now()): P2pIceServer[] {
  const servers = webrtc.iceServers.map((server) => ({ ...server }));
  if (webrtc.turn) {
    const { username, credential } = mintTurnCredential(webrtc.turn.secret, clientId, webrtc.turn.ttlSeconds, nowMs);
    servers.push({ urls: [...webrtc.turn.urls], username, credential });
  }
  return servers;
}
