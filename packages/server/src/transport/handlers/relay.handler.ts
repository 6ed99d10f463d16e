import { P2P_RELIABLE_PROTOCOL, P2pError, P2pEvent, isReservedEventName } from 'nest-p2p-gateway-protocol';
import type { P2pConnection, P2pSocket } from '../../connection/p2p-connection.state.js';
import { type RelayRefusal, frameErrorPayload, holdRelay } from '../../connection/peer.delivery.js';
import { dataArgument, sendError, trailingAck, unencodable } from './handler.replies.js';
import { RelayAckOutcome, failRelayWithAck } from './relay-ack.outcome.js';
import { relayBytesOf, tooManyAttachments } from '../../connection/socket-decoder.hooks.js';

const MAX_EVENT_NAME_LENGTH = 256;
/** Positional arguments of one relayed event; spreading far more would overflow the call stack. */
const MAX_RELAY_ARGS = 256;
const NO_ARGS: unknown[] = [];

interface RelayRequest {
  event: string;
  args: unknown[];
}

/** Checks a relay payload and the sender's right to relay; returns what to deliver or the error to report. */
function checkRelay(conn: P2pConnection, payload: unknown, relayEvent: string): RelayRequest | P2pError {
  const limited = conn.limits?.checkRelayRate(relayEvent);
  if (limited) return limited;
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    return new P2pError('INVALID_PAYLOAD', `${relayEvent} takes ({targetClientId, event, args})`, relayEvent);
  }
  const { targetClientId, event, args } = payload as Record<string, unknown>;
  if (typeof event !== 'string' || event.length === 0 || event.length > MAX_EVENT_NAME_LENGTH) {
    return new P2pError('INVALID_PAYLOAD', `event must be a string of 1 to ${MAX_EVENT_NAME_LENGTH} characters`, relayEvent);
  }
  if (args !== undefined && !Array.isArray(args)) {
    return new P2pError('INVALID_PAYLOAD', 'args must be an array', relayEvent);
  }
  if (args !== undefined && args.length > MAX_RELAY_ARGS) {
    return new P2pError('INVALID_PAYLOAD', `args may hold at most ${MAX_RELAY_ARGS} values`, relayEvent);
  }
  if (targetClientId !== undefined && typeof targetClientId !== 'string') {
    return new P2pError('INVALID_PAYLOAD', 'targetClientId must be a string', relayEvent);
  }
  if (isReservedEventName(event)) return new P2pError('RESERVED_EVENT', `"${event}" is reserved`, relayEvent);
  if (!conn.peer) return new P2pError('NOT_PAIRED', undefined, relayEvent);
  if (targetClientId !== undefined && targetClientId !== conn.peer.clientId) {
    return new P2pError('TARGET_NOT_PEER', `"${targetClientId}" is not the current peer`, relayEvent);
  }
  const undecodable = tooManyAttachments(payload, relayEvent);
  if (undecodable) return undecodable;
  const oversized = conn.limits?.checkRelaySize(payload, relayEvent);
  if (oversized) return oversized;
  return { event, args: (args as unknown[] | undefined) ?? NO_ARGS };
}

/**
 * `P2P_EMIT({targetClientId, event, args}, [ack])`: delivers `event(...args)` to the sender's peer. The optional ack
 * (not part of the original protocol) is error-first: `ack(null)` once delivered, `ack(error)` otherwise.
 */
export function onRelay(this: P2pSocket, payloadArgument: unknown): void {
  const conn = this.data.p2p;
  const answer = trailingAck(arguments);
  const payload = dataArgument(payloadArgument);
  const checked = checkRelay(conn, payload, P2pEvent.EMIT);
  if (checked instanceof P2pError) {
    conn.gateway.metrics?.refused(checked.code);
    return answer ? answer(checked.toPayload()) : sendError(this, checked);
  }
  conn.gateway.metrics?.relayed(conn, relayBytesOf(payload));
  conn.gateway.engine.relayStats.relayedMessages++;
  const peerConnectionId = conn.peer!.connectionId;
  if (peerConnectionId === undefined) {
    if (holdRelay(conn, checked.event, checked.args)) return answer?.(null);
    const error = new P2pError('BUFFER_FULL', undefined, P2pEvent.EMIT);
    return answer ? answer(error.toPayload()) : sendError(this, error);
  }
  let refusal: RelayRefusal | undefined;
  try {
    refusal = conn.gateway.relay(peerConnectionId, checked.event, checked.args);
  } catch {
    const error = unencodable(P2pEvent.EMIT);
    return answer ? answer(error.toPayload()) : sendError(this, error);
  }
  if (refusal) {
    const error = new P2pError(refusal, undefined, P2pEvent.EMIT);
    return answer ? answer(error.toPayload()) : sendError(this, error);
  }
  answer?.(null);
}

/** Checks a reliable-channel frame and the sender's right to relay it; the frame itself is the peers' business. */
function checkFrame(conn: P2pConnection, frame: unknown): P2pError | undefined {
  const limited = conn.limits?.checkRelayRate(P2pEvent.FRAME);
  if (limited) return limited;
  if (conn.protocolVersion < P2P_RELIABLE_PROTOCOL) {
    return new P2pError('INVALID_PAYLOAD', `P2P_FRAME needs protocol ${P2P_RELIABLE_PROTOCOL}`, P2pEvent.FRAME);
  }
  if (typeof frame !== 'object' || frame === null || Array.isArray(frame)) {
    return new P2pError('INVALID_PAYLOAD', 'P2P_FRAME takes (frame), an object', P2pEvent.FRAME);
  }
  if (!conn.peer) return new P2pError('NOT_PAIRED', undefined, P2pEvent.FRAME);
  return tooManyAttachments(frame, P2pEvent.FRAME) ?? conn.limits?.checkRelaySize(frame, P2pEvent.FRAME);
}

/**
 * `P2P_FRAME(frame)` (protocol 3): relays one frame of the reliable channel to the peer as it is, held while the peer
 * is away like any relay. A refusal goes back as `P2P_ERROR` naming the frame's number (`seq`): the sender's channel
 * keeps every unconfirmed message and sends it again, so the server is never the only holder of a message.
 */
export function onFrame(this: P2pSocket, frameArgument: unknown): void {
  const conn = this.data.p2p;
  const frame = dataArgument(frameArgument);
  const refused = checkFrame(conn, frame);
  if (refused) conn.gateway.metrics?.refused(refused.code);
  else {
    conn.gateway.metrics?.relayed(conn, relayBytesOf(frame), 'frame');
    conn.gateway.engine.relayStats.relayedMessages++;
  }
  const error = refused ?? deliverFrame(conn, frame as object);
  if (error) this.emit(P2pEvent.ERROR, frameErrorPayload(error, frame));
}

function deliverFrame(conn: P2pConnection, frame: object): P2pError | undefined {
  const peerConnectionId = conn.peer!.connectionId;
  if (peerConnectionId === undefined) {
    return holdRelay(conn, P2pEvent.FRAME, [frame]) ? undefined : new P2pError('BUFFER_FULL', undefined, P2pEvent.FRAME);
  }
  try {
    const refusal = conn.gateway.relay(peerConnectionId, P2pEvent.FRAME, [frame]);
    return refusal && new P2pError(refusal, undefined, P2pEvent.FRAME);
  } catch {
    return unencodable(P2pEvent.FRAME);
  }
}

/**
 * `P2P_EMIT_ACKNOWLEDGE({targetClientId, event, args}, ack)`: delivers `event(...args, callback)` to the peer; what the
 * peer passes to the callback reaches `ack`. Protocol 1 senders get `ack(...results)` and failures as P2P_ERROR;
 * protocol 2 senders get `ack(null, ...results)` or `ack(error)`.
 */
export function onRelayWithAck(this: P2pSocket, payloadArgument: unknown): void {
  const sender = this;
  const conn = sender.data.p2p;
  const answer = trailingAck(arguments);
  const payload = dataArgument(payloadArgument);
  const errorFirst = conn.protocolVersion >= 2;
  if (!answer) {
    const error = new P2pError('INVALID_PAYLOAD', 'P2P_EMIT_ACKNOWLEDGE needs an ack function', P2pEvent.EMIT_ACKNOWLEDGE);
    return failRelayWithAck(sender, answer, errorFirst, error);
  }
  const checked = checkRelay(conn, payload, P2pEvent.EMIT_ACKNOWLEDGE);
  if (checked instanceof P2pError) {
    conn.gateway.metrics?.refused(checked.code);
    return failRelayWithAck(sender, answer, errorFirst, checked);
  }
  const startedAt = conn.gateway.metrics?.relayedWithAck(conn, relayBytesOf(payload));
  conn.gateway.engine.relayStats.relayedMessages++;
  // The sender's record (the target's side keeps one more, and Socket.IO its callback): no closure to carry it.
  const outcome = new RelayAckOutcome(sender, answer, errorFirst, startedAt);
  const peerConnectionId = conn.peer!.connectionId;
  if (peerConnectionId === undefined) {
    if (!holdRelay(conn, checked.event, checked.args, outcome)) {
      failRelayWithAck(sender, answer, errorFirst, new P2pError('BUFFER_FULL', undefined, P2pEvent.EMIT_ACKNOWLEDGE));
    }
    return;
  }
  try {
    conn.gateway.relayWithAck(peerConnectionId, checked.event, checked.args, outcome);
  } catch {
    failRelayWithAck(sender, answer, errorFirst, unencodable(P2pEvent.EMIT_ACKNOWLEDGE));
  }
}
