import { P2pError, P2pEvent } from 'nest-p2p-gateway-protocol';
import type { AckDeadlineSweeper, DeadlineQueue } from './ack-deadline.sweeper.js';

const NO_RESULTS: unknown[] = [];

/**
 * Receives a relay-with-ack's outcome exactly once (`settle`): the peer's results, or the error. Without an error,
 * `results` is the outcome's own array, handed over: the receiver may change it (never a shared constant).
 *
 * An object with a method rather than a callback: the sender's side of a relay with ack is one record (the sender, its
 * ack, its protocol) that travels through the router, the cluster link and the target's queue of owed acks as it is,
 * with no closure made per relay to carry it. Declared beside the queue that holds it, so that the connection state
 * (which names the queue) stays a leaf.
 */
export interface AckOutcome {
  settle(error: P2pError | undefined, results: unknown[]): void;
}

/** One relay with ack its target owes an answer to: a plain record (no closure, no timer of its own). */
export interface OwedAck {
  readonly event: string;
  /** The sender's side, told the outcome once. */
  readonly outcome: AckOutcome;
  /** The queue it is in (Socket.IO's callback for the answer reaches the queue through the record). */
  readonly queue: OwedAcks;
  /** `Date.now()` past which the sweep fails it with ACK_TIMEOUT (Infinity: Socket.IO times it, see `forget`). */
  readonly deadline: number;
  /** Socket.IO's ack id on the target socket, so a timed-out ack's callback can be dropped there. */
  readonly ackId: number;
  settled: boolean;
  next: OwedAck | undefined;
}

/** ACK_TIMEOUT's message, naming the relayed event (its `event` field names `P2P_EMIT_ACKNOWLEDGE`). */
export function ackTimeoutMessage(event: string): string {
  return `the peer did not acknowledge "${event}" in time`;
}

/**
 * The relay acks one connection owes to senders, oldest first (so in deadline order: every ack has the gateway's
 * `ackTimeoutMs`). Each is settled exactly once: by the peer's answer, by ACK_TIMEOUT from the gateway's sweep, or with
 * the connection's departure (the gateway fails them all with PEER_DISCONNECTED). Answered entries leave the queue as
 * soon as every older one has; none outlives its deadline by more than a sweep period, so the queue holds at most the
 * acks relayed to the connection within `ackTimeoutMs`.
 */
export class OwedAcks implements DeadlineQueue {
  private head: OwedAck | undefined;
  private tail: OwedAck | undefined;
  private watched = false;

  constructor(
    private readonly sweeper: AckDeadlineSweeper,
    private readonly ackTimeoutMs: number,
    /** Drops the callback Socket.IO keeps for a timed-out ack (its `acks` map); undefined when Socket.IO times acks. */
    private readonly forget: ((ackId: number) => void) | undefined,
  ) {}

  /** Records an ack owed from now on; `ackId` is Socket.IO's id for it on the target. */
  push(event: string, outcome: AckOutcome, ackId: number): OwedAck {
    const deadline = this.forget ? Date.now() + this.ackTimeoutMs : Infinity;
    const owed: OwedAck = { event, outcome, queue: this, deadline, ackId, settled: false, next: undefined };
    if (this.tail) this.tail.next = owed;
    else this.head = owed;
    this.tail = owed;
    if (!this.watched && this.forget) {
      this.watched = true;
      this.sweeper.watch(this);
    }
    return owed;
  }

  /** Whether the gateway's sweep times these acks (Socket.IO's internals are there); otherwise Socket.IO does. */
  get sweeps(): boolean {
    return this.forget !== undefined;
  }

  /**
   * The peer answered (through Socket.IO's ack callback): the sender gets `results`, or `error` when the answer was
   * refused; nothing when the ack was settled already.
   */
  answer(owed: OwedAck, error: P2pError | undefined, results: unknown[]): void {
    if (owed.settled) return;
    this.settle(owed);
    owed.outcome.settle(error, error ? NO_RESULTS : results);
  }

  /** Fails one owed ack now (Socket.IO's own timer ran out, when it times them). */
  timedOut(owed: OwedAck): void {
    if (owed.settled) return;
    this.settle(owed);
    owed.outcome.settle(new P2pError('ACK_TIMEOUT', ackTimeoutMessage(owed.event), P2pEvent.EMIT_ACKNOWLEDGE), NO_RESULTS);
  }

  /** Withdraws an ack whose relay could not be sent (the emit threw): it is owed nothing, and answered by the caller. */
  withdraw(owed: OwedAck): void {
    if (owed.settled) return;
    this.settle(owed);
    this.forget?.(owed.ackId);
  }

  expire(now: number): boolean {
    let owed = this.head;
    while (owed && (owed.settled || owed.deadline <= now)) {
      this.head = owed.next;
      if (!owed.settled) {
        owed.settled = true;
        this.forget?.(owed.ackId);
        owed.outcome.settle(new P2pError('ACK_TIMEOUT', ackTimeoutMessage(owed.event), P2pEvent.EMIT_ACKNOWLEDGE), NO_RESULTS);
      }
      owed = this.head;
    }
    if (this.head) return false;
    this.tail = undefined;
    this.watched = false;
    return true;
  }

  /**
   * The connection is gone: every ack it still owes fails with `error` (the code and message, naming each relay's
   * event as every failure does), oldest first, and the queue is emptied.
   */
  failAll(error: P2pError): void {
    let owed = this.head;
    this.head = this.tail = undefined;
    for (; owed; owed = owed.next) {
      if (owed.settled) continue;
      owed.settled = true;
      owed.outcome.settle(new P2pError(error.code, error.message, P2pEvent.EMIT_ACKNOWLEDGE), NO_RESULTS);
    }
  }

  /** Marks `owed` settled and drops the settled entries at the front (answers mostly come in order). */
  private settle(owed: OwedAck): void {
    owed.settled = true;
    let head = this.head;
    while (head && head.settled) head = head.next;
    this.head = head;
    if (!head) this.tail = undefined;
  }
}
