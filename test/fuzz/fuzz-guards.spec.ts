import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { assertProperty } from '../support/fuzz-guards.js';

/** A property that always holds and takes `ms` per case. */
const slowTruth = (ms: number) => fc.asyncProperty(fc.integer(), () => new Promise<void>((resolve) => setTimeout(resolve, ms)));

describe('fuzz guards: assertProperty', () => {
  it('fails a property cut short by its time limit before it ran every case', async () => {
    await expect(assertProperty(slowTruth(20), { numRuns: 1000, timeoutMs: 60_000, interruptAfterTimeLimit: 200 })).rejects.toThrow(
      /stopped at its time limit after \d+ of the 1000 cases/,
    );
  });

  it('passes a property cut short once it ran its floor of cases (minRuns)', async () => {
    await assertProperty(slowTruth(20), { numRuns: 1000, minRuns: 1, timeoutMs: 60_000, interruptAfterTimeLimit: 300 });
  });

  it('passes a property that ran every case', async () => {
    await assertProperty(slowTruth(0), { numRuns: 20, timeoutMs: 60_000 });
  });
});
