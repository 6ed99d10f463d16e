import { P2pError, P2pEvent } from 'nest-p2p-gateway-protocol';
import type { P2pSocket } from '../../connection/p2p-connection.state.js';
import { readSignal } from '../../webrtc/signal-payload.reader.js';
import { upgradeAllowed } from '../../webrtc/upgrade.policy.js';
import { dataArgument, openProtocol3Request } from './handler.replies.js';
import { tooManyAttachments } from '../../connection/socket-decoder.hooks.js';

const EVENT = P2pEvent.SIGNAL;

/**
 * `P2P_SIGNAL({type, ...}, [ack])` (protocol 3): passes an offer, answer, ICE candidate or bye on to the sender's
 * peer, and only to it, as `P2P_SIGNAL({type, ..., sourceClientId})`. Checked like a relay (message rate, payload,
 * pairing, target, size and byte rate), then against the `webrtc` option and its `canUpgrade` policy. The ack is
 * error-first: `ack(null)` once passed on, `ack(error)` otherwise; without an ack, failures come as P2P_ERROR.
 */
export function onSignal(this: P2pSocket, payloadArgument: unknown): void {
  const request = openProtocol3Request(this, arguments, EVENT, 'WebRTC signalling');
  if (!request) return;
  const { answer, fail } = request;
  const conn = this.data.p2p;
  const payload = dataArgument(payloadArgument);
  const signal = readSignal(payload);
  if (signal instanceof P2pError) return fail(signal);
  const peer = conn.peer;
  if (!peer) return fail(new P2pError('NOT_PAIRED', undefined, EVENT));
  if (signal.targetClientId !== undefined && signal.targetClientId !== peer.clientId) {
    return fail(new P2pError('TARGET_NOT_PEER', `"${signal.targetClientId}" is not the current peer`, EVENT));
  }
  const oversized = tooManyAttachments(payload, EVENT) ?? conn.limits?.checkRelaySize(payload, EVENT);
  if (oversized) return fail(oversized);
  const webrtc = conn.gateway.options.webrtc;
  if (!webrtc) return fail(new P2pError('UPGRADE_FORBIDDEN', 'this server has WebRTC turned off', EVENT));
  // Every signal of a connection waits on the same verdict promise, so they reach the peer in the order they came.
  void upgradeAllowed(conn, peer.clientId, webrtc).then((allowed) => {
    if (!allowed) return fail(new P2pError('UPGRADE_FORBIDDEN', undefined, EVENT));
    // The pairing may have changed while the policy was asked: deliver only to the peer the signal was meant for.
    const current = conn.peer;
    if (current?.clientId !== peer.clientId) return fail(new P2pError('NOT_PAIRED', undefined, EVENT));
    if (current.connectionId === undefined) return fail(new P2pError('PEER_DISCONNECTED', 'the peer is reconnecting', EVENT));
    const { targetClientId: _target, ...fields } = signal;
    const refusal = conn.gateway.relay(current.connectionId, EVENT, [{ ...fields, sourceClientId: conn.clientId }]);
    if (refusal) {
      return fail(new P2pError(refusal, undefined, EVENT));
    }
    conn.gateway.engine.relayStats.signals++;
    answer?.(null);
  });
}
