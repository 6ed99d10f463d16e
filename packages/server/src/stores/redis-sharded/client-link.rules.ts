import type { ClientRecord, PairingState } from '../pairing-store.interface.js';

/**
 * The rule that makes a half-done two-client operation harmless: a link (a pairing, or an open request) holds only
 * when both records name each other with the same request (or, for a pairing, the same `since`). A record that names a
 * client which does not name it back is one-sided: it counts as free, and the next operation that locks it frees it.
 */

export const FREE: PairingState = { kind: 'free' };

/** The client a state names: the peer, or the other side of an open request; undefined when free. */
export function otherIdOf(state: PairingState): string | undefined {
  if (state.kind === 'paired') return state.peerId;
  return state.kind === 'free' ? undefined : state.otherId;
}

/** Whether `other`'s state is the mirror of `rec`'s: the two name each other under one request or one pairing. */
export function namesBack(rec: ClientRecord, other: ClientRecord | undefined): boolean {
  if (!other) return false;
  const [mine, theirs] = [rec.state, other.state];
  if (mine.kind === 'free' || otherIdOf(mine) !== other.clientId || otherIdOf(theirs) !== rec.clientId) return false;
  if (mine.kind === 'paired') return theirs.kind === 'paired' && theirs.since === mine.since;
  const mirror = mine.kind === 'asking' ? 'asked' : 'asking';
  return theirs.kind === mirror && theirs.requestId === mine.requestId;
}

/** Whether source asks target under requestId, and target is asked by source under it. */
export function isOpenRequest(source: ClientRecord | undefined, target: ClientRecord | undefined, requestId: string): boolean {
  return (
    source !== undefined &&
    target !== undefined &&
    source.state.kind === 'asking' &&
    source.state.requestId === requestId &&
    source.state.otherId === target.clientId &&
    namesBack(source, target)
  );
}
