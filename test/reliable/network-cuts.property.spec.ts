import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { P2pClient } from '../../packages/client/src/index.js';
import { type GatewayHarness, startGateway } from '../support/gateway-harness.js';
import { eventually } from '../support/eventually.js';
import { cutConnection, sequence } from '../support/network-cut.js';
import { reconnectingClient } from '../grace/grace-support.js';

/** Each run is a few seconds of real traffic and real cuts: few runs, every one of them carried out. */
const RUNS = Number(process.env.FUZZ_RUNS ?? 6);

interface Cut {
  side: 'A' | 'B';
  afterMs: number;
}

const cutSchedule = fc.array(fc.record({ side: fc.constantFrom<'A' | 'B'>('A', 'B'), afterMs: fc.integer({ min: 0, max: 400 }) }), {
  minLength: 1,
  maxLength: 4,
});
/** Message sizes from empty to 16 KiB, for each direction. */
const sizes = fc.array(fc.integer({ min: 0, max: 16 * 1024 }), { minLength: 20, maxLength: 200 });

async function sendAll(from: P2pClient, sizesOf: number[]): Promise<void> {
  for (let n = 0; n < sizesOf.length; n++) {
    if (!from.emit('m', n, 'x'.repeat(sizesOf[n]!))) await from.drained();
    if (n % 10 === 9) await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('reliable channel: random cut schedules x message sizes x both directions (property)', () => {
  let gw: GatewayHarness;
  beforeAll(async () => {
    gw = await startGateway();
  });
  afterAll(() => gw.close());

  it(
    'each side receives exactly the sequence the other sent: nothing lost, nothing twice, in order',
    async () => {
      let run = 0;
      let runsCarriedOut = 0;
      await fc.assert(
        fc.asyncProperty(cutSchedule, sizes, sizes, async (cuts: Cut[], fromA: number[], fromB: number[]) => {
          run++;
          const a = await reconnectingClient(gw, `A${run}`);
          const b = await reconnectingClient(gw, `B${run}`);
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
          const sending = Promise.all([sendAll(a, fromA), sendAll(b, fromB)]);
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
          a.socket.disconnect();
          b.socket.disconnect();
          runsCarriedOut++;
        }),
        { numRuns: RUNS },
      );
      // fast-check ran every case it was asked for (none skipped or cut short).
      expect(runsCarriedOut).toBe(RUNS);
    },
    60_000 + RUNS * 20_000,
  );
});
