import { describe, expect, it } from '@jest/globals';
import { P2pError } from '../../packages/protocol/src/index.js';
import { AckDeadlineSweeper } from '../../packages/server/src/connection/ack-deadline.sweeper.js';
import { OwedAcks } from '../../packages/server/src/connection/owed-acks.queue.js';

const ACK_TIMEOUT_MS = 10_000;

/** A queue of owed acks as the gateway builds one, with a record of what its outcomes and `forget` received. */
function queue() {
  const outcomes: [string, string | undefined, unknown[]][] = [];
  const failedEvents: (string | undefined)[] = [];
  const forgotten: number[] = [];
  const owed = new OwedAcks(new AckDeadlineSweeper(ACK_TIMEOUT_MS), ACK_TIMEOUT_MS, (ackId) => void forgotten.push(ackId));
  const push = (event: string, ackId: number) =>
    owed.push(
      event,
      {
        settle(error: P2pError | undefined, results: unknown[]) {
          outcomes.push([event, error?.code, results]);
          if (error) failedEvents.push(error.event);
        },
      },
      ackId,
    );
  return { owed, push, outcomes, forgotten, failedEvents };
}

const pastEveryDeadline = () => Date.now() + ACK_TIMEOUT_MS + 1;

describe('gateway: the queue of owed relay acks', () => {
  it('settles each ack once: answered in any order, the rest time out oldest first and Socket.IO forgets them', () => {
    const { owed, push, outcomes, forgotten } = queue();
    const first = push('a', 1);
    const second = push('b', 2);
    push('c', 3);
    owed.answer(second, undefined, ['two']);
    owed.answer(second, undefined, ['again']);
    expect(owed.expire(Date.now())).toBe(false);
    expect(owed.expire(pastEveryDeadline())).toBe(true);
    owed.answer(first, undefined, ['late']);
    expect(outcomes).toEqual([
      ['b', undefined, ['two']],
      ['a', 'ACK_TIMEOUT', []],
      ['c', 'ACK_TIMEOUT', []],
    ]);
    // The answered ack's callback was used by Socket.IO; only the timed-out ones are dropped from its map.
    expect(forgotten).toEqual([1, 3]);
  });

  it('fails every unsettled ack with the departure error, naming P2P_EMIT_ACKNOWLEDGE, and holds nothing after failAll()', () => {
    const { owed, push, outcomes, failedEvents } = queue();
    const first = push('a', 1);
    const answered = push('b', 2);
    push('c', 3);
    owed.answer(answered, undefined, []);
    owed.failAll(new P2pError('PEER_DISCONNECTED'));
    expect(outcomes.map(([event, code]) => [event, code])).toEqual([
      ['b', undefined],
      ['a', 'PEER_DISCONNECTED'],
      ['c', 'PEER_DISCONNECTED'],
    ]);
    expect(failedEvents).toEqual(['P2P_EMIT_ACKNOWLEDGE', 'P2P_EMIT_ACKNOWLEDGE']);
    // Settled once: a late answer, a second departure and the sweep find nothing left.
    owed.answer(first, undefined, ['late']);
    owed.failAll(new P2pError('PEER_DISCONNECTED'));
    expect(owed.expire(pastEveryDeadline())).toBe(true);
    expect(outcomes).toHaveLength(3);
  });

  it('a withdrawn ack (its emit threw) is owed nothing and never times out', () => {
    const { owed, push, outcomes, forgotten } = queue();
    const withdrawn = push('a', 7);
    owed.withdraw(withdrawn);
    expect(owed.expire(pastEveryDeadline())).toBe(true);
    expect(outcomes).toEqual([]);
    expect(forgotten).toEqual([7]);
  });
});
