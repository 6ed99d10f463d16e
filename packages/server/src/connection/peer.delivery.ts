import { P2pError, type P2pErrorPayload, P2pEvent } from 'nest-p2p-gateway-protocol';
import type { AckOutcome, HeldRelay, P2pConnection, P2pSocket, RelayRefusal } from './p2p-connection.state.js';
import { RefusedAck } from './socket-decoder.hooks.js';
import { ackDeadlineSweeperOf } from './ack-deadline.sweeper.js';
import { type OwedAck, OwedAcks, ackTimeoutMessage } from './owed-acks.queue.js';

const NO_ARGS: unknown[] = [];

/**
 * Socket.IO internals the ack path reads (present through 4.x): the namespace's next ack id, and the socket's map of
 * ack callbacks by id. With them, acks need no Socket.IO timer (`socket.timeout()`): the gateway's sweep times them
 * and drops a timed-out callback from the map itself.
 */
interface SocketAckInternals {
  nsp: { _ids?: unknown };
  acks?: unknown;
}

function owedAcksOf(target: P2pSocket, ackTimeoutMs: number): OwedAcks {
  const acks = (target as unknown as SocketAckInternals).acks;
  const forget = acks instanceof Map ? (ackId: number) => void acks.delete(ackId) : undefined;
  return new OwedAcks(ackDeadlineSweeperOf(target.data.p2p.gateway, ackTimeoutMs), ackTimeoutMs, forget);
}

/**
 * What the peer's answer to an owed ack becomes: its values, or the code the decoder hook put in their place (too many
 * values, too many binary values as delivered, or too many bytes) for the sender, and the same code to the peer.
 */
function answerOwed(target: P2pSocket, owed: OwedAck, results: unknown[]): void {
  const refused = results[0];
  if (!(refused instanceof RefusedAck)) return owed.queue.answer(owed, undefined, results);
  const message = `${refused.message} (answering "${owed.event}")`;
  if (!owed.settled) {
    // The peer's callback returns nothing to it: it learns that its answer went nowhere by P2P_ERROR.
    const toPeer = new P2pError(refused.code, `your answer was not delivered: ${message}`, P2pEvent.EMIT_ACKNOWLEDGE);
    target.emit(P2pEvent.ERROR, toPeer.toPayload());
  }
  owed.queue.answer(owed, new P2pError(refused.code, message, P2pEvent.EMIT_ACKNOWLEDGE), results);
}

/**
 * Emits `event(...args, callback)` to the peer's socket; `outcome` gets what the peer passed to the callback, or
 * ACK_TIMEOUT after `ackTimeoutMs` (within a sweep period), or PEER_DISCONNECTED if the peer's connection ends first.
 * Per relay this costs one record in the target's queue of owed acks and the one callback Socket.IO needs; the
 * deadline is the gateway's sweep's business.
 */
export function deliverWithAck(target: P2pSocket, event: string, args: unknown[], ackTimeoutMs: number, outcome: AckOutcome): void {
  const conn = target.data.p2p;
  const owed = (conn.owedAcks ??= owedAcksOf(target, ackTimeoutMs));
  const ackId = (target as unknown as SocketAckInternals).nsp._ids;
  if (typeof ackId !== 'number' || !owed.sweeps) {
    // Without the internals, Socket.IO times the ack (and forgets its callback) itself.
    const timed = owed.push(event, outcome, -1);
    try {
      target.timeout(ackTimeoutMs).emit(event, ...args, (timedOut: Error | null, ...results: unknown[]) => {
        if (timedOut) owed.timedOut(timed);
        else answerOwed(target, timed, results);
      });
    } catch (error) {
      owed.withdraw(timed);
      throw error;
    }
    return;
  }
  const record = owed.push(event, outcome, ackId);
  try {
    // Socket.IO takes the next id of the namespace (`ackId`) for this callback.
    target.emit(event, ...args, (...results: unknown[]) => answerOwed(target, record, results));
  } catch (error) {
    // Not encodable: the caller answers the sender with INVALID_PAYLOAD; nothing is owed.
    owed.withdraw(record);
    throw error;
  }
}

/** Holds a relay for the peer while it is away. False when the outbox is full (the sender gets BUFFER_FULL). */
export function holdRelay(conn: P2pConnection, event: string, args: unknown[], outcome?: AckOutcome): boolean {
  const outbox = (conn.outbox ??= []);
  if (outbox.length >= conn.gateway.options.reconnectBufferSize) {
    conn.gateway.metrics?.refused('BUFFER_FULL');
    return false;
  }
  outbox.push(outcome ? { event, args, outcome } : { event, args });
  return true;
}

/**
 * Delivers the held relays, in order, to the peer that came back (on this node or another). Any the peer's connection
 * refuses (it is slow, or gone again) are reported to `sender` as by `failHeldRelays`.
 */
export function flushHeldRelays(conn: P2pConnection, sender: P2pSocket, targetConnectionId: string): void {
  const outbox = conn.outbox;
  if (!outbox) return;
  conn.outbox = undefined;
  const refused: HeldRelay[] = [];
  let refusal: RelayRefusal | undefined;
  for (const held of outbox) {
    try {
      if (held.outcome) {
        conn.gateway.relayWithAck(targetConnectionId, held.event, held.args, held.outcome);
        continue;
      }
      const refusedNow = conn.gateway.relay(targetConnectionId, held.event, held.args);
      if (refusedNow) {
        refusal = refusedNow;
        refused.push(held);
      }
    } catch {
      // Not encodable (it was checked like any relay, but nesting depth only shows when encoding): that one is lost.
      held.outcome?.settle(new P2pError('INVALID_PAYLOAD', 'the arguments could not be encoded', P2pEvent.EMIT_ACKNOWLEDGE), NO_ARGS);
    }
  }
  if (refusal) reportUndelivered(refused, sender, new P2pError(refusal));
}

/** The peer did not come back: every held relay fails with `error`; the sender is told, none is dropped silently. */
export function failHeldRelays(conn: P2pConnection, sender: P2pSocket, error: P2pError): void {
  const outbox = conn.outbox;
  if (!outbox) return;
  conn.outbox = undefined;
  reportUndelivered(outbox, sender, error);
}

/**
 * Tells the sender of relays that will not be delivered: relays with ack through their ack, each reliable-channel frame
 * by its number (the sender's channel sends it again or reports it), plain relays counted in one P2P_ERROR.
 */
function reportUndelivered(relays: HeldRelay[], sender: P2pSocket, error: P2pError): void {
  let unacknowledged = 0;
  for (const held of relays) {
    if (held.outcome) held.outcome.settle(new P2pError(error.code, error.message, P2pEvent.EMIT_ACKNOWLEDGE), NO_ARGS);
    else if (held.event === P2pEvent.FRAME) sender.emit(P2pEvent.ERROR, frameErrorPayload(error, held.args[0]));
    else unacknowledged++;
  }
  if (unacknowledged > 0) {
    const message = `${unacknowledged} relayed message(s) held for the reconnecting peer were not delivered: ${error.message}`;
    sender.emit(P2pEvent.ERROR, new P2pError(error.code, message, P2pEvent.EMIT).toPayload());
  }
}

/** A refused `P2P_FRAME`'s error: the code, with the frame's number when it had one. */
export function frameErrorPayload(error: P2pError, frame: unknown): P2pErrorPayload {
  const payload = new P2pError(error.code, error.message, P2pEvent.FRAME).toPayload();
  const seq = (frame as { s?: unknown } | null | undefined)?.s;
  return typeof seq === 'number' ? { ...payload, seq } : payload;
}

export type { AckOutcome, HeldRelay, RelayRefusal };
export { ackTimeoutMessage };
