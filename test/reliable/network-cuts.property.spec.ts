import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { type GatewayHarness, startGateway } from '../support/gateway-harness.js';
import { type Cut, cutSchedules, exchangeThroughCuts } from '../support/cut-exchange.case.js';

/** Each run is a few seconds of real traffic and real cuts: few runs, every one of them carried out. */
const RUNS = Number(process.env.FUZZ_RUNS ?? 6);

const cutSchedule = cutSchedules(400);
/** Message sizes from empty to 16 KiB, for each direction. */
const sizes = fc.array(fc.integer({ min: 0, max: 16 * 1024 }), { minLength: 20, maxLength: 200 });

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
          await exchangeThroughCuts(gw, { run, cuts, fromA, fromB, perBurst: 10 });
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
