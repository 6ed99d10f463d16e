import { P2pError, P2pEvent } from 'nest-p2p-gateway-protocol';
import { checkPairPolicy } from '../auth/pair.policy.js';
import { mayDiscover } from '../discovery/client-visibility.policy.js';
import type { ResolvedP2pOptions } from '../options/p2p-options.resolve.js';

/** Whether the host app set a hook that a request from `sourceId` to `targetId` must pass first. */
export function hooksApply(options: ResolvedP2pOptions, sourceId: string, targetId: string): boolean {
  const { canPair, discovery } = options;
  return sourceId !== targetId && (canPair !== undefined || discovery.kind === 'each' || discovery.kind === 'prepared');
}

/**
 * The host app's hooks on a pairing request, in order: `canPair` (PAIR_FORBIDDEN unless it allows it), then the
 * discovery rule (a target the source may not see answers TARGET_OFFLINE, as if it were not connected, so a request
 * learns nothing of it). Undefined when both let it through.
 */
export async function hooksRefusal(options: ResolvedP2pOptions, sourceId: string, targetId: string): Promise<P2pError | undefined> {
  const { canPair, canPairTimeoutMs, discovery, discoveryTimeoutMs } = options;
  if (canPair) {
    const forbidden = await checkPairPolicy(canPair, sourceId, targetId, canPairTimeoutMs);
    if (forbidden) return forbidden;
  }
  const hides = discovery.kind === 'each' || discovery.kind === 'prepared';
  if (hides && !(await mayDiscover(discovery, discoveryTimeoutMs, sourceId, targetId))) {
    return new P2pError('TARGET_OFFLINE', undefined, P2pEvent.REGISTER);
  }
  return undefined;
}
