import { P2P_RELIABLE_PROTOCOL, P2pError, P2pEvent, type WebRtcConfigPayload } from 'nest-p2p-gateway-protocol';
import type { P2pSocket } from '../../connection/p2p-connection.state.js';
import { iceServersFor } from '../../webrtc/ice.config.js';
import { upgradeAllowed } from '../../webrtc/upgrade.policy.js';
import { sendError, trailingAck } from './handler.replies.js';

const EVENT = P2pEvent.WEBRTC_CONFIG;
const NOT_ALLOWED: WebRtcConfigPayload = Object.freeze({ allowed: false, iceServers: [] }) as WebRtcConfigPayload;

/**
 * `P2P_WEBRTC_CONFIG(ack)` (protocol 3, paired): `ack(null, {allowed, iceServers})`. `allowed` is false when the
 * gateway has no `webrtc` option or its `canUpgrade` policy refuses this pairing; otherwise `iceServers` holds the
 * configured servers and, with `webrtc.turn`, a TURN server with a credential minted for this client. Errors:
 * `ack(error)` with NOT_PAIRED, UPGRADE_FORBIDDEN (protocol below 3) or RATE_LIMITED.
 */
export function onWebRtcConfig(this: P2pSocket): void {
  const socket = this;
  const conn = socket.data.p2p;
  const answer = trailingAck(arguments);
  if (!answer) return sendError(socket, new P2pError('INVALID_PAYLOAD', `${EVENT} needs an ack function`, EVENT));
  const limited = conn.limits?.checkRelayRate(EVENT);
  if (limited) return answer(limited.toPayload());
  if (conn.protocolVersion < P2P_RELIABLE_PROTOCOL) {
    return answer(new P2pError('UPGRADE_FORBIDDEN', `WebRTC needs protocol ${P2P_RELIABLE_PROTOCOL}`, EVENT).toPayload());
  }
  const peer = conn.peer;
  if (!peer) return answer(new P2pError('NOT_PAIRED', undefined, EVENT).toPayload());
  const webrtc = conn.gateway.options.webrtc;
  if (!webrtc) return answer(null, NOT_ALLOWED);
  void upgradeAllowed(conn, peer.clientId, webrtc).then((allowed) => {
    const config: WebRtcConfigPayload = allowed ? { allowed: true, iceServers: iceServersFor(conn.clientId, webrtc) } : NOT_ALLOWED;
    answer(null, config);
  });
}
