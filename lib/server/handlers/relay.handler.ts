import { P2pError, P2pEvent, isReservedEventName } from '../../protocol/index.js';
import type { P2pConnection, P2pSocket } from '../p2p-connection.js';
import { type AckOutcome, holdRelay } from '../peer-delivery.js';
import { dataArgument, sendError, trailingAck } from './answer.js';

const MAX_EVENT_NAME_LENGTH = 256;
/** Positional arguments of one relayed event; spreading far more would overflow the call stack. */
const MAX_RELAY_ARGS = 256;
const NO_ARGS: unknown[] = [];

/** What a send that Socket.IO could not encode (nesting too deep for its encoder) is reported as. */
function unencodable(relayEvent: string): P2pError {
  return new P2pError('INVALID_PAYLOAD', 'the arguments could not be encoded (nested too deep)', relayEvent);
}

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
  if (checked instanceof P2pError) return answer ? answer(checked.toPayload()) : sendError(this, checked);
  conn.gateway.engine.relayStats.relayedMessages++;
  const peerConnectionId = conn.peer!.connectionId;
  if (peerConnectionId === undefined) {
    if (holdRelay(conn, checked.event, checked.args)) return answer?.(null);
    const error = new P2pError('BUFFER_FULL', undefined, P2pEvent.EMIT);
    return answer ? answer(error.toPayload()) : sendError(this, error);
  }
  let delivered: boolean;
  try {
    delivered = conn.gateway.relay(peerConnectionId, checked.event, checked.args);
  } catch {
    const error = unencodable(P2pEvent.EMIT);
    return answer ? answer(error.toPayload()) : sendError(this, error);
  }
  if (!delivered) {
    const error = new P2pError('PEER_DISCONNECTED', undefined, P2pEvent.EMIT);
    return answer ? answer(error.toPayload()) : sendError(this, error);
  }
  answer?.(null);
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
  const fail = (error: P2pError) => (answer && errorFirst ? answer(error.toPayload()) : sendError(sender, error));
  if (!answer) return fail(new P2pError('INVALID_PAYLOAD', 'P2P_EMIT_ACKNOWLEDGE needs an ack function', P2pEvent.EMIT_ACKNOWLEDGE));
  const checked = checkRelay(conn, payload, P2pEvent.EMIT_ACKNOWLEDGE);
  if (checked instanceof P2pError) return fail(checked);
  conn.gateway.engine.relayStats.relayedMessages++;
  const onOutcome: AckOutcome = (error, results) => {
    if (error) return fail(error);
    try {
      if (errorFirst) answer(null, ...results);
      else answer(...results);
    } catch {
      fail(unencodable(P2pEvent.EMIT_ACKNOWLEDGE));
    }
  };
  const peerConnectionId = conn.peer!.connectionId;
  if (peerConnectionId === undefined) {
    if (!holdRelay(conn, checked.event, checked.args, onOutcome)) fail(new P2pError('BUFFER_FULL', undefined, P2pEvent.EMIT_ACKNOWLEDGE));
    return;
  }
  try {
    conn.gateway.relayWithAck(peerConnectionId, checked.event, checked.args, onOutcome);
  } catch {
    fail(unencodable(P2pEvent.EMIT_ACKNOWLEDGE));
  }
}

