import { describe, expect, it } from '@jest/globals';
import { ClientTurns } from '../../packages/server/src/pairing/client-turns.queue.js';

/** A promise and the function that settles it, for steps that end when the test says. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

describe('ClientTurns: each client’s pairing steps, one after the other', () => {
  it('runs a client’s steps in the order they came, a step that throws included, and others’ steps meanwhile', async () => {
    const turns = new ClientTurns();
    const order: string[] = [];
    const slow = gate();
    const first = turns.run('A', async () => {
      order.push('A1 start');
      await slow.promise;
      order.push('A1 end');
    });
    const second = turns.run('A', async () => {
      order.push('A2');
      throw new Error('A2 failed');
    });
    const third = turns.run('A', async () => {
      order.push('A3');
      return 3;
    });
    await turns.run('B', async () => order.push('B1'));
    expect(turns.size).toBe(1);
    slow.open();
    await first;
    await expect(second).rejects.toThrow('A2 failed');
    await expect(third).resolves.toBe(3);
    expect(order).toEqual(['A1 start', 'B1', 'A1 end', 'A2', 'A3']);
  });

  it('runs the step of an idle client at once (no turn of the event loop), and counts none under way after', async () => {
    const turns = new ClientTurns();
    let ran = false;
    const done = turns.run('A', async () => {
      ran = true;
    });
    expect(ran).toBe(true);
    await done;
    await turns.run('A', async () => undefined);
    // Its entry may stay, idle: the next step runs at once as well.
    let again = false;
    const next = turns.run('A', async () => {
      again = true;
    });
    expect(again).toBe(true);
    await next;
    await Promise.resolve();
    expect(turns.size).toBe(0);
  });

  it('keeps memory bounded: idle entries of many clients are swept', async () => {
    const turns = new ClientTurns();
    for (let i = 0; i < 5000; i++) await turns.run(`client-${i}`, async () => undefined);
    await Promise.resolve();
    expect(turns.size).toBe(0);
    expect(turns.entries).toBeLessThanOrEqual(1025);
  });
});
