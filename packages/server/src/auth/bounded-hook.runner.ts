/** How a bounded call ended. */
export type BoundedOutcome<T> = { ok: true; value: T } | { ok: false; timedOut: boolean; error?: unknown };

/**
 * Calls a host-app hook and waits at most `timeoutMs` for it. A throw, a rejection and a timeout all end as
 * `{ok: false}`; the hook itself cannot be stopped, its late result is ignored.
 */
export function runBounded<T>(call: () => T | PromiseLike<T>, timeoutMs: number): Promise<BoundedOutcome<T>> {
  let result: T | PromiseLike<T>;
  try {
    result = call();
  } catch (error) {
    return Promise.resolve({ ok: false, timedOut: false, error });
  }
  if (typeof (result as PromiseLike<T> | undefined)?.then !== 'function') return Promise.resolve({ ok: true, value: result as T });
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ ok: false, timedOut: true }), timeoutMs);
    timer.unref();
    Promise.resolve(result).then(
      (value) => {
        clearTimeout(timer);
        resolve({ ok: true, value });
      },
      (error: unknown) => {
        clearTimeout(timer);
        resolve({ ok: false, timedOut: false, error });
      },
    );
  });
}
