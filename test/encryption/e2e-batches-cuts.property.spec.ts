import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { P2pClient } from '../../packages/client/src/index.js';
import { type GatewayHarness, startGateway } from '../support/gateway-harness.js';
import { type Cut, cutSchedules, exchangeThroughCuts } from '../support/cut-exchange.case.js';
import { onFrames } from './e2e-gateway.js';

/** Each run is a few seconds of real traffic and real cuts: few runs, every one of them carried out. */
const RUNS = Number(process.env.FUZZ_RUNS ?? 4);

const cutSchedule = cutSchedules(300);
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
          const check = (a: P2pClient, b: P2pClient) => expect(a.secure && b.secure).toBe(true);
          await exchangeThroughCuts(gw, { run, cuts, fromA, fromB, perBurst, options: { e2e: true }, check });
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
