import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { P2pClient } from '../../packages/client/src/index.js';
import { type GatewayHarness, startGateway } from '../support/gateway-harness.js';
import { eventually } from '../support/eventually.js';
import { cutConnection, sequence } from '../support/network-cut.js';
import { reconnectingClient } from '../grace/grace-support.js';
import { onFrames } from './e2e-gateway.js';

/** Each run is a few seconds of real traffic and real cuts: few runs, every one of them carried out. */
const RUNS = Number(process.env.FUZZ_RUNS ?? 4);

interface Cut {
  side: 'A' | 'B';
  afterMs: number;
}

const cutSchedule = fc.array(fc.record({ side: fc.constantFrom<'A' | 'B'>('A', 'B'), afterMs: fc.integer({ min: 0, max: 300 }) }), {
  minLength: 1,
  maxLength: 4,
});
/** Message sizes from empty to 3 KiB: most go in sealed batches, those over 1,024 characters alone. */
const sizes = fc.array(
  fc.integer({ min: 0, max: 3 * 1024 }).map((size) => (size > 2048 ? size : size % 200)),
  {
    minLength: 50,
    maxLength: 400,
  },
);
/** How many messages go in one turn of the event loop (a burst: sealed in batches) before the sender pauses. */
const burst = fc.integer({ min: 1, max: 80 });

async function sendAll(from: P2pClient, sizesOf: number[], perBurst: number): Promise<void> {
  for (let n = 0; n < sizesOf.length; n++) {
    if (!from.emit('m', n, 'x'.repeat(sizesOf[n]!))) await from.drained();
    if (n % perBurst === perBurst - 1) await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('end-to-end encryption, sealed batches: random cut schedules x message sizes x bursts, both directions (property)', () => {
  let gw: GatewayHarness;
  let batches = 0;
  beforeAll(async () => {
    gw = await startGateway();
    onFrames(gw, (_from, frame) => {
      if (typeof frame['n'] === 'number') batches++;
    });
  });
  afterAll(() => gw.close());

  it(
    'each side receives exactly the sequence the other sent: nothing lost, nothing twice, in order',
    async () => {
      let run = 0;
      let runsCarriedOut = 0;
      await fc.assert(
        fc.asyncProperty(cutSchedule, sizes, sizes, burst, async (cuts: Cut[], fromA: number[], fromB: number[], perBurst: number) => {
          run++;
          const a = await reconnectingClient(gw, `A${run}`, { e2e: true });
          const b = await reconnectingClient(gw, `B${run}`, { e2e: true });
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
          const sending = Promise.all([sendAll(a, fromA, perBurst), sendAll(b, fromB, perBurst)]);
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
          expect(a.secure && b.secure).toBe(true);
          a.socket.disconnect();
          b.socket.disconnect();
          runsCarriedOut++;
        }),
        { numRuns: RUNS },
      );
      // fast-check ran every case it was asked for (none skipped or cut short), and batches did cross the gateway.
      expect(runsCarriedOut).toBe(RUNS);
      expect(batches).toBeGreaterThan(0);
    },
    60_000 + RUNS * 25_000,
  );
});
