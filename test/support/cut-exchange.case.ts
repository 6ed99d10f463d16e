import { expect } from '@jest/globals';
import fc from 'fast-check';
import type { P2pClient, P2pClientOptions } from '../../packages/client/src/index.js';
import type { GatewayHarness } from './gateway-harness.js';
import { eventually } from './eventually.js';
import { cutConnection, sequence } from './network-cut.js';
import { reconnectingClient } from '../grace/grace-support.js';

/** One cut of a schedule: which side's connection, after how long since the previous one. */
export interface Cut {
  side: 'A' | 'B';
  afterMs: number;
}

/** Schedules of one to four cuts, each up to `maxAfterMs` after the previous one. */
export function cutSchedules(maxAfterMs: number): fc.Arbitrary<Cut[]> {
  const cut = fc.record({ side: fc.constantFrom<'A' | 'B'>('A', 'B'), afterMs: fc.integer({ min: 0, max: maxAfterMs }) });
  return fc.array(cut, { minLength: 1, maxLength: 4 });
}

/** Sends `m(n, padding)` for each size, honouring backpressure, pausing 5 ms after every `perBurst` messages. */
async function sendSized(from: P2pClient, sizes: number[], perBurst: number): Promise<void> {
  for (let n = 0; n < sizes.length; n++) {
    if (!from.emit('m', n, 'x'.repeat(sizes[n]!))) await from.drained();
    if (n % perBurst === perBurst - 1) await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** One case of the cut properties. */
export interface CutExchange {
  /** Numbers the pair's ids (`A<run>`, `B<run>`), unique per case on a shared gateway. */
  run: number;
  cuts: Cut[];
  /** The sizes of the messages each side sends. */
  fromA: number[];
  fromB: number[];
  /** Messages sent in one turn of the event loop before a 5 ms pause. */
  perBurst: number;
  /** Both clients' options (`e2e`, …). */
  options?: P2pClientOptions;
  /** More to check of the pair once everything arrived, before it is disconnected. */
  check?: (a: P2pClient, b: P2pClient) => void;
}

/**
 * A fresh pair exchanges numbered messages both ways while its connections are cut as scheduled; each side must
 * receive exactly the sequence the other sent (nothing lost, nothing twice, in order, each message its size), and
 * neither is told of an error or an undelivered message.
 */
export async function exchangeThroughCuts(
  gw: GatewayHarness,
  { run, cuts, fromA, fromB, perBurst, options = {}, check }: CutExchange,
): Promise<void> {
  const a = await reconnectingClient(gw, `A${run}`, options);
  const b = await reconnectingClient(gw, `B${run}`, options);
  await a.pair(`B${run}`);
  await eventually(() => expect(b.state).toBe('paired'));
  const atB: Array<[number, number]> = [];
  const atA: Array<[number, number]> = [];
  b.socket.on('m', (n: number, pad: string) => atB.push([n, pad.length]));
  a.socket.on('m', (n: number, pad: string) => atA.push([n, pad.length]));
  const failures: string[] = [];
  for (const side of [a, b]) {
    side.on('error', (error) => failures.push(error.code));
    side.on('undelivered', () => failures.push('undelivered'));
  }
  const sending = Promise.all([sendSized(a, fromA, perBurst), sendSized(b, fromB, perBurst)]);
  for (const cut of cuts) {
    await new Promise((resolve) => setTimeout(resolve, cut.afterMs));
    const side = cut.side === 'A' ? a : b;
    await eventually(() => expect(side.state).toBe('paired'), 10_000);
    await cutConnection(side.socket, 50);
  }
  await sending;
  await eventually(() => expect([atA.length, atB.length]).toEqual([fromB.length, fromA.length]), 30_000);
  expect(atB).toEqual(sequence(fromA.length).map((n) => [n, fromA[n]]));
  expect(atA).toEqual(sequence(fromB.length).map((n) => [n, fromB[n]]));
  expect(failures).toEqual([]);
  check?.(a, b);
  a.socket.disconnect();
  b.socket.disconnect();
}
