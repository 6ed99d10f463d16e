import { P2pError } from 'nest-p2p-gateway-protocol';
import type { ClientRecord, PairingRequest } from '../stores/pairing-store.interface.js';

/**
 * What a target's answer (`consent` or not) applies to, from its record as the store has it: the request open to it,
 * or the error to tell the target (NO_PENDING_REQUEST), or undefined when there is nothing to do. `claimedSourceId`,
 * when the client names one, must match the request's source.
 */
export function answeredRequestOf(
  target: ClientRecord | undefined,
  targetId: string,
  consent: boolean,
  claimedSourceId: string | undefined,
): PairingRequest | P2pError | undefined {
  const state = target?.state;
  // A consent from a client paired with that source already: late, for the request its own crossing request settled.
  if (consent && state?.kind === 'paired' && (claimedSourceId ?? state.peerId) === state.peerId) return undefined;
  if (state?.kind !== 'asked' || (claimedSourceId !== undefined && claimedSourceId !== state.otherId)) {
    return new P2pError('NO_PENDING_REQUEST');
  }
  return { requestId: state.requestId, sourceId: state.otherId, targetId };
}
