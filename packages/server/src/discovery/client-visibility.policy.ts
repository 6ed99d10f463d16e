import { Logger } from '@nestjs/common';
import type { P2pPairParty } from '../auth/p2p-auth.types.js';
import { runBounded } from '../auth/bounded-hook.runner.js';
import type { ResolvedDiscovery } from '../options/discovery.options.js';
import type { P2pVisibleTo } from '../options/p2p-discovery.types.js';
import { printable } from '../logging/gateway.logger.js';

const logger = new Logger('P2pGateway');

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}

/** Counts the clients hidden because the policy threw for them, to log them once per request. */
class ThrownTally {
  count = 0;
  first: unknown;

  note(error: unknown): false {
    if (this.count++ === 0) this.first = error;
    return false;
  }

  report(viewerId: string): void {
    if (this.count > 0) {
      logger.warn(`discovery for ${viewerId} threw for ${this.count} client(s), hidden: ${printable(String(this.first))}`);
    }
  }
}

/**
 * The ids among `candidates` that `viewerId` may see, in their order; undefined when the policy failed as a whole
 * (did not answer within `timeoutMs`, or `forViewer` threw), which the caller refuses (fail closed). A viewer always
 * sees itself: the policy is not asked about it. `'none'` is the caller's to refuse before asking.
 */
export async function visibleAmong(
  discovery: ResolvedDiscovery,
  timeoutMs: number,
  viewerId: string,
  candidates: string[],
): Promise<string[] | undefined> {
  if (discovery.kind === 'all' || discovery.kind === 'none') return candidates;
  const viewer: P2pPairParty = { clientId: viewerId };
  const thrown = new ThrownTally();
  if (discovery.kind === 'prepared') {
    const prepared = await runBounded(() => discovery.policy.forViewer(viewer), timeoutMs);
    if (!prepared.ok || typeof prepared.value !== 'function') {
      const why = !prepared.ok
        ? prepared.timedOut
          ? `did not answer within ${timeoutMs} ms`
          : `threw: ${printable(String(prepared.error))}`
        : 'did not return a function';
      logger.warn(`discovery forViewer(${viewerId}) ${why}; the listing is refused`);
      return undefined;
    }
    const visibleTo: P2pVisibleTo = prepared.value;
    const visible = candidates.filter((clientId) => {
      if (clientId === viewerId) return true;
      try {
        return visibleTo({ clientId }) === true;
      } catch (error) {
        return thrown.note(error);
      }
    });
    thrown.report(viewerId);
    return visible;
  }
  const { hook } = discovery;
  const answers = candidates.map((clientId): unknown => {
    if (clientId === viewerId) return true;
    try {
      return hook(viewer, { clientId });
    } catch (error) {
      return thrown.note(error);
    }
  });
  let settled: unknown[] = answers;
  if (answers.some(isThenable)) {
    // One bound for the whole page: answers that are late hide nothing silently, the request is refused instead.
    const outcome = await runBounded(
      () =>
        Promise.all(
          answers.map((answer) =>
            Promise.resolve(answer).then(
              (value) => value,
              (error: unknown) => thrown.note(error),
            ),
          ),
        ),
      timeoutMs,
    );
    if (!outcome.ok) {
      logger.warn(
        `discovery for ${viewerId} did not answer for ${candidates.length} client(s) within ${timeoutMs} ms; the listing is refused`,
      );
      return undefined;
    }
    settled = outcome.value;
  }
  thrown.report(viewerId);
  return candidates.filter((_, index) => settled[index] === true);
}

/** Whether `viewerId` may learn that `clientId` is connected; a policy that fails says no. */
export async function mayDiscover(discovery: ResolvedDiscovery, timeoutMs: number, viewerId: string, clientId: string): Promise<boolean> {
  if (discovery.kind === 'all' || discovery.kind === 'none') return true;
  const visible = await visibleAmong(discovery, timeoutMs, viewerId, [clientId]);
  return visible !== undefined && visible.length === 1;
}
