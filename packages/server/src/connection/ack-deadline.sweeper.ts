/** What the sweeper checks: a target's queue of owed acks, oldest first. */
export interface DeadlineQueue {
  /** Fails the owed acks whose deadline is past `now`; true once nothing is owed any more. */
  expire(now: number): boolean;
}

/** The sweep period for an ack timeout: a tenth of it, between 10 and 250 ms (ACK_TIMEOUT is that much late at most). */
function sweepPeriodOf(ackTimeoutMs: number): number {
  return Math.min(250, Math.max(10, Math.floor(ackTimeoutMs / 10)));
}

/**
 * One timer per gateway for every relay ack its connections owe, in place of a `setTimeout` and a `clearTimeout` per
 * relay. The ack timeout is the same for all of them, so each target's queue is in deadline order and a sweep looks at
 * the oldest entries only. The timer runs while some queue is watched; a queue found empty stops being watched, and
 * the timer stops with the last one (an idle gateway has no timer).
 */
export class AckDeadlineSweeper {
  private readonly queues = new Set<DeadlineQueue>();
  private timer: NodeJS.Timeout | undefined;
  private readonly periodMs: number;

  constructor(ackTimeoutMs: number) {
    this.periodMs = sweepPeriodOf(ackTimeoutMs);
  }

  /** Checks `queue` at every sweep until it is found empty. */
  watch(queue: DeadlineQueue): void {
    this.queues.add(queue);
    // Unref'd: pending acks alone do not keep a process alive (the connections they wait on do).
    this.timer ??= setInterval(this.sweep, this.periodMs).unref();
  }

  private readonly sweep = (): void => {
    const now = Date.now();
    for (const queue of this.queues) if (queue.expire(now)) this.queues.delete(queue);
    if (this.queues.size > 0) return;
    clearInterval(this.timer);
    this.timer = undefined;
  };
}

/** The sweeper of each gateway (its shared context object), made when its first relay with ack is delivered. */
const sweepers = new WeakMap<object, AckDeadlineSweeper>();

export function ackDeadlineSweeperOf(gateway: object, ackTimeoutMs: number): AckDeadlineSweeper {
  let sweeper = sweepers.get(gateway);
  if (!sweeper) sweepers.set(gateway, (sweeper = new AckDeadlineSweeper(ackTimeoutMs)));
  return sweeper;
}
