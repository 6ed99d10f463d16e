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

  it('returns the value of a step that ends at once as it is (no promise), and keeps no entry for it', () => {
    const turns = new ClientTurns();
    expect(turns.run('A', () => 5)).toBe(5);
    expect(() =>
      turns.run('A', () => {
        throw new Error('at once');
      }),
    ).toThrow('at once');
    expect(turns.run('A', () => 6)).toBe(6);
    expect(turns.size).toBe(0);
    expect(turns.entries).toBe(0);
  });

  it('makes a call from inside a running step wait for that step, and a step that ends at once wait for one under way', async () => {
    const turns = new ClientTurns();
    const order: string[] = [];
    let inner: unknown;
    const outer = turns.run('A', () => {
      // A lifecycle subscriber acting at once, say: it runs after the step it was called from, not inside it.
      inner = turns.run('A', () => order.push('inner'));
      order.push('outer');
      return 'outer done';
    });
    expect(outer).toBe('outer done');
    expect(inner).toBeInstanceOf(Promise);
    await inner;
    expect(order).toEqual(['outer', 'inner']);

    const slow = gate();
    const first = turns.run('B', async () => {
      await slow.promise;
      order.push('B1');
    });
    const second = turns.run('B', () => order.push('B2'));
    expect(second).toBeInstanceOf(Promise);
    slow.open();
    await first;
    await second;
    expect(order.slice(-2)).toEqual(['B1', 'B2']);
  });
});
