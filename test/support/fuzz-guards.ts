import { expect } from '@jest/globals';
import fc from 'fast-check';
import { POLLUTION_KEY } from './fuzz-values.js';
import { abbreviate } from './fuzz-wire.js';

/**
 * The real Node.js process. Jest hands each test file a copy of `process` whose listeners never hear the real
 * process's events, so a listener for unhandled rejections must be added on the real one, reached through a function
 * created in Node's own realm (a timer's constructor).
 */
function realProcess(): NodeJS.Process {
  const timer = setTimeout(() => undefined, 0);
  clearTimeout(timer);
  const OuterFunction = (timer as object).constructor.constructor as FunctionConstructor;
  return OuterFunction('return process')() as NodeJS.Process;
}

/** Records every unhandled rejection and uncaught exception while it watches; `stop()` removes its listeners. */
export interface CrashWatch {
  readonly problems: string[];
  /** A promise that rejects with the next problem recorded from now on, and a way to stop waiting for one. */
  nextProblem(): { crashed: Promise<never>; cancel(): void };
  stop(): void;
}

export function watchForCrashes(): CrashWatch {
  const node = realProcess();
  const problems: string[] = [];
  const waiting = new Set<(problem: string) => void>();
  const record = (problem: string) => {
    problems.push(problem);
    for (const notify of waiting) notify(problem);
    waiting.clear();
  };
  const onRejection = (reason: unknown) => record(`unhandled rejection: ${describe(reason)}`);
  const onException = (error: unknown) => record(`uncaught exception: ${describe(error)}`);
  node.on('unhandledRejection', onRejection);
  node.on('uncaughtExceptionMonitor', onException);
  return {
    problems,
    nextProblem() {
      let notify: (problem: string) => void = () => undefined;
      const crashed = new Promise<never>((_, reject) => {
        notify = (problem) => reject(new Error(`the gateway crashed: ${problem}`));
        waiting.add(notify);
      });
      crashed.catch(() => undefined);
      return { crashed, cancel: () => void waiting.delete(notify) };
    },
    stop() {
      node.off('unhandledRejection', onRejection);
      node.off('uncaughtExceptionMonitor', onException);
    },
  };
}

function describe(reason: unknown): string {
  return reason instanceof Error ? (reason.stack ?? reason.message) : String(reason);
}

/** The own property names of the built-in prototypes a pollution attempt would reach. */
export function prototypeSnapshot(): Record<string, string[]> {
  return {
    Object: Object.getOwnPropertyNames(Object.prototype).sort(),
    Array: Object.getOwnPropertyNames(Array.prototype).sort(),
    Function: Object.getOwnPropertyNames(Function.prototype).sort(),
  };
}

export function expectPrototypesClean(before: Record<string, string[]>): void {
  expect(prototypeSnapshot()).toEqual(before);
  expect(({} as Record<string, unknown>)[POLLUTION_KEY]).toBeUndefined();
  expect(Object.getPrototypeOf({})).toBe(Object.prototype);
}

/**
 * How many runs a property gets: its default (sized so the whole fuzz folder takes about a minute on two cores), or
 * FUZZ_RUNS for a long manual run, e.g. `FUZZ_RUNS=2000 npm test -- test/fuzz`.
 */
export function fuzzRuns(defaultRuns: number): number {
  const wanted = Number(process.env.FUZZ_RUNS);
  return Number.isInteger(wanted) && wanted > 0 ? wanted : defaultRuns;
}

/** A Jest timeout for a property of `runs` runs that each cost up to `perRunMs`, shrinking included. */
export function fuzzTimeout(runs: number, perRunMs: number): number {
  return 60_000 + runs * perRunMs * 2;
}

/**
 * fc.assert with a failure report that names the error and abbreviates huge strings and deep values. Shrinking stops
 * 15 s before the Jest timeout `timeoutMs`, so a failure is always reported with the smallest input found so far. A
 * run cut short by that time limit without a failure fails too, unless it ran `minRuns` cases (default: all of
 * `numRuns`): a slow machine must not turn a property into one that passes after a few cases.
 */
export async function assertProperty<Ts>(
  property: fc.IAsyncProperty<Ts>,
  params: fc.Parameters<Ts> & { timeoutMs: number; minRuns?: number },
): Promise<void> {
  const { timeoutMs, minRuns, ...rest } = params;
  const floor = minRuns ?? rest.numRuns ?? fc.readConfigureGlobal().numRuns ?? 100;
  await fc.assert(property, {
    interruptAfterTimeLimit: Math.max(timeoutMs - 15_000, 5_000),
    markInterruptAsFailure: false,
    ...rest,
    reporter(details) {
      if (!details.failed) {
        if (details.interrupted && details.numRuns < floor) {
          throw new Error(
            `fast-check stopped at its time limit after ${details.numRuns} of the ${floor} cases this property must run ` +
              `(seed ${details.seed}): the machine was too slow for the time given, so the property was not checked`,
          );
        }
        return;
      }
      const error = details.errorInstance;
      const why = error instanceof Error ? (error.stack ?? error.message) : String(error);
      throw new Error(abbreviate(`${fc.defaultReportMessage(details) ?? ''}\n\nError: ${why}`));
    },
  });
}
