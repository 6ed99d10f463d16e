/**
 * Polls `check` until it stops throwing, then returns its value; rethrows its last error after `timeoutMs`. For state
 * that settles through messages in flight (a client's view catching up with the server's), never for speed.
 */
export async function eventually<T>(check: () => T | Promise<T>, timeoutMs = 3000, intervalMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() >= deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
}

/** Settles every promise and sorts the outcomes; rejection reasons are kept as they are. */
export async function outcomes<T>(promises: Promise<T>[]): Promise<{ fulfilled: T[]; rejected: unknown[] }> {
  const settled = await Promise.allSettled(promises);
  return {
    fulfilled: settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : [])),
    rejected: settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as unknown] : [])),
  };
}

/** The `code` of a rejection reason, for tallying. */
export function codeOf(reason: unknown): unknown {
  return typeof reason === 'object' && reason !== null ? (reason as { code?: unknown }).code : undefined;
}
