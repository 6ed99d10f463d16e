import { P2P_RELIABLE_PROTOCOL, P2pError, P2pEvent } from 'nest-p2p-gateway-protocol';
import type { P2pSocket } from '../../connection/p2p-connection.state.js';
import { isStoreUnavailable } from '../../stores/pairing-store.interface.js';
import type { Settling } from '../../pairing/settling.type.js';

export type AnyFunction = (...args: unknown[]) => void;

export function asFunction(value: unknown): AnyFunction | undefined {
  return typeof value === 'function' ? (value as AnyFunction) : undefined;
}

/**
 * Socket.IO passes a client's ack last, whatever the count of arguments before it: handlers take the ack from there,
 * read their data arguments by position (a function there counts as absent), and ignore extra ones.
 */
export function trailingAck(args: ArrayLike<unknown>): AnyFunction | undefined {
  return args.length > 0 ? asFunction(args[args.length - 1]) : undefined;
}

/** A data argument: what the client sent at that position, unless it is the ack. */
export function dataArgument(value: unknown): unknown {
  return typeof value === 'function' ? undefined : value;
}

/** What a send that Socket.IO could not encode (nesting too deep for its encoder) is reported as. */
export function unencodable(relayEvent: string): P2pError {
  return new P2pError('INVALID_PAYLOAD', 'the arguments could not be encoded (nested too deep)', relayEvent);
}

/** Tells the client of a failure that has no ack to travel on. */
export function sendError(socket: P2pSocket, error: P2pError): void {
  socket.emit(P2pEvent.ERROR, error.toPayload());
}

/** Answers a control event (register, consent, unregister): `ack(true)` / `ack(false, error)`, or P2P_ERROR without ack. */
export function answerControl(socket: P2pSocket, ack: AnyFunction | undefined, error?: P2pError): void {
  if (ack) {
    if (error) ack(false, error.toPayload());
    else ack(true);
  } else if (error) {
    sendError(socket, error);
  }
}

/**
 * Runs a control event's engine step and hands its outcome to `reply`: at once when the step ended synchronously (the
 * in-memory store: no promise on the hot path), else once its promise resolves. A step or reply that throws, at once
 * or later, is answered with a failure code (`internalError`).
 */
export function replyWhenSettled<T>(
  socket: P2pSocket,
  ack: AnyFunction | undefined,
  event: string,
  step: () => Settling<T>,
  reply: (socket: P2pSocket, ack: AnyFunction | undefined, outcome: T) => void,
): void {
  try {
    const outcome = step();
    if (!(outcome instanceof Promise)) return reply(socket, ack, outcome);
    outcome
      .then((settled) => reply(socket, ack, settled))
      .catch((cause: unknown) => answerControl(socket, ack, internalError(socket, event, cause)));
  } catch (cause) {
    answerControl(socket, ack, internalError(socket, event, cause));
  }
}

/**
 * Turns anything thrown inside a handler into a code for the client (STORE_UNAVAILABLE when the shared store could not
 * be reached, INTERNAL_ERROR otherwise), and logs it.
 */
export function internalError(socket: P2pSocket, event: string, cause: unknown): P2pError {
  socket.data.p2p.gateway.reportFailure(event, cause);
  return failureOf(cause, event);
}

export function failureOf(cause: unknown, event?: string): P2pError {
  return new P2pError(isStoreUnavailable(cause) ? 'STORE_UNAVAILABLE' : 'INTERNAL_ERROR', undefined, event);
}

/** An error-first request of protocol 3 (WebRTC config, signal, transport report), past its common checks. */
export interface Protocol3Request {
  /** The client's ack, when it gave one: `ack(null, ...)` on success. */
  answer: AnyFunction | undefined;
  /** Answers `ack(error)`, or P2P_ERROR when there is no ack. */
  fail: (error: P2pError) => void;
}

/**
 * The checks every protocol-3 request starts with, in this order: the message rate (these events share the relay's
 * allowance), then the client's protocol version (UPGRADE_FORBIDDEN below 3, saying `needs`). Undefined once a check
 * failed and the client was told.
 */
export function openProtocol3Request(
  socket: P2pSocket,
  args: ArrayLike<unknown>,
  event: string,
  needs: string,
): Protocol3Request | undefined {
  const conn = socket.data.p2p;
  const answer = trailingAck(args);
  const fail = (error: P2pError): void => (answer ? answer(error.toPayload()) : sendError(socket, error));
  const refused =
    conn.limits?.checkRelayRate(event) ??
    (conn.protocolVersion < P2P_RELIABLE_PROTOCOL
      ? new P2pError('UPGRADE_FORBIDDEN', `${needs} needs protocol ${P2P_RELIABLE_PROTOCOL}`, event)
      : undefined);
  if (!refused) return { answer, fail };
  fail(refused);
  return undefined;
}
