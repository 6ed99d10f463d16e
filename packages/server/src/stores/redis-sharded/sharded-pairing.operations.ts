import type { P2pTransport } from 'nest-p2p-gateway-protocol';
import type {
  ClientRecord,
  ConfirmOutcome,
  DetachOutcome,
  DuplicateClientIdPolicy,
  PairingRequest,
  RegisterOutcome,
  RemovedClient,
  ReserveOutcome,
} from '../pairing-store.interface.js';
import { FREE, isOpenRequest, otherIdOf } from './client-link.rules.js';
import type { ClientTransaction } from './client.transaction.js';

/**
 * The decisions of the sharded store, each run inside one ClientTransaction (the store commits it afterwards). They
 * mirror the single-slot store's Lua scripts (stores/redis/scripts), on records read under the clients' locks.
 */

/** Locks `clientId`, then the client its state names (a try-lock, so the order does not matter); its record. */
async function lockWithOther(tx: ClientTransaction, clientId: string): Promise<ClientRecord | undefined> {
  await tx.lock(clientId);
  const rec = tx.record(clientId);
  const otherId = rec && otherIdOf(rec.state);
  if (otherId !== undefined) await tx.lock(otherId);
  return rec;
}

/** `rec` with a one-sided link freed (and that repair staged): what counts for every decision. */
async function settle(tx: ClientTransaction, rec: ClientRecord): Promise<ClientRecord> {
  if (rec.state.kind === 'free' || (await tx.linked(rec))) return rec;
  const freed = { ...rec, state: FREE };
  tx.put(freed);
  return freed;
}

function pairBoth(tx: ClientTransaction, a: ClientRecord, b: ClientRecord): void {
  a.state = { kind: 'paired', peerId: b.clientId, since: tx.now };
  b.state = { kind: 'paired', peerId: a.clientId, since: tx.now };
  tx.put(a);
  tx.put(b);
}

/** Drops `rec` and frees its counterpart; the removal as RemovedClient has it. */
async function removeRecord(tx: ClientTransaction, rec: ClientRecord): Promise<RemovedClient> {
  const other = await tx.linked(rec);
  tx.drop(rec.clientId);
  const removal: RemovedClient = { record: rec, leftState: rec.state };
  if (!other) return removal;
  other.state = FREE;
  tx.put(other);
  return { ...removal, other };
}

/** `nextSeq` draws a new connection sequence number; called only when a new connection enters the order. */
export async function register(
  tx: ClientTransaction,
  fresh: ClientRecord,
  policy: DuplicateClientIdPolicy,
  nextSeq: () => Promise<string>,
): Promise<RegisterOutcome> {
  const found = await lockWithOther(tx, fresh.clientId);
  let displaced: RemovedClient | undefined;
  if (found) {
    if (found.connectionId === fresh.connectionId) return { ok: true };
    const holder = await settle(tx, found);
    const sameSession = holder.sessionTokenHash !== undefined && holder.sessionTokenHash === fresh.sessionTokenHash;
    if (sameSession && holder.state.kind === 'paired') {
      const previousConnectionId = holder.connectionId;
      const { detachedUntil: _ended, ...kept } = holder;
      const record: ClientRecord = {
        ...kept,
        connectionId: fresh.connectionId,
        nodeId: fresh.nodeId,
        protocolVersion: fresh.protocolVersion,
      };
      if (fresh.webrtc === undefined) delete record.webrtc;
      else record.webrtc = fresh.webrtc;
      if (fresh.e2eCommit === undefined) delete record.e2eCommit;
      else record.e2eCommit = fresh.e2eCommit;
      tx.put(record);
      const peer = await tx.linked(record);
      return { ok: true, resumed: peer ? { record, previousConnectionId, peer } : { record, previousConnectionId } };
    }
    if (!sameSession && policy !== 'replace') return { ok: false, code: 'CLIENT_ID_TAKEN' };
    displaced = await removeRecord(tx, holder);
  }
  tx.put(fresh, await nextSeq());
  return displaced ? { ok: true, displaced } : { ok: true };
}

/**
 * Writes back a record a Redis failover lost (its node still holds the connection): nothing when the id is held;
 * paired only when the peer's record names this client paired, else free (as the single-slot store's `restore`).
 */
export async function restore(
  tx: ClientTransaction,
  lost: ClientRecord,
  nextSeq: () => Promise<string>,
): Promise<ClientRecord | undefined> {
  await tx.lock(lost.clientId);
  if (tx.record(lost.clientId)) return undefined;
  const { detachedUntil: _gone, ...rest } = lost;
  const record: ClientRecord = { ...structuredClone(rest), state: FREE };
  // Only a pairing is restored (an open request times out by itself), with the peer's own `since`: the node does not
  // know it, and the link rule wants both sides to name the same one.
  if (lost.state.kind === 'paired') {
    await tx.lock(lost.state.peerId);
    const peer = tx.record(lost.state.peerId);
    if (peer?.state.kind === 'paired' && peer.state.peerId === lost.clientId) {
      record.state = { kind: 'paired', peerId: peer.clientId, since: peer.state.since };
    }
  }
  tx.put(record, await nextSeq());
  return record;
}

export async function detach(
  tx: ClientTransaction,
  clientId: string,
  connectionId: string,
  until: number,
): Promise<DetachOutcome | undefined> {
  const found = await lockWithOther(tx, clientId);
  if (!found || found.connectionId !== connectionId) return undefined;
  const rec = await settle(tx, found);
  if (rec.state.kind === 'paired' && rec.sessionTokenHash !== undefined) {
    const detached = { ...rec, detachedUntil: until };
    tx.put(detached);
    const peer = await tx.linked(detached);
    return peer ? { detached, peer } : { detached };
  }
  return { removed: await removeRecord(tx, found) };
}

export async function remove(tx: ClientTransaction, clientId: string, connectionId: string): Promise<RemovedClient | undefined> {
  const rec = await lockWithOther(tx, clientId);
  if (!rec || rec.connectionId !== connectionId) return undefined;
  return removeRecord(tx, rec);
}

/**
 * Removes `clientId` if its record still names `nodeId` (a sweep or a forget); with `now`, a client held for reconnect
 * grace past `now` stays ('kept'). Undefined when it is gone or moved.
 */
export async function removeOfNode(
  tx: ClientTransaction,
  clientId: string,
  nodeId: string,
  now: number | undefined,
): Promise<RemovedClient | 'kept' | undefined> {
  const rec = await lockWithOther(tx, clientId);
  if (!rec || rec.nodeId !== nodeId) return undefined;
  if (now !== undefined && rec.detachedUntil !== undefined && rec.detachedUntil > now) return 'kept';
  return removeRecord(tx, rec);
}

export async function reserve(tx: ClientTransaction, { requestId, sourceId, targetId }: PairingRequest): Promise<ReserveOutcome> {
  if (sourceId === targetId) return { ok: false, code: 'SELF_PAIRING' };
  await tx.lock(sourceId, targetId);
  const [foundSource, foundTarget] = [tx.record(sourceId), tx.record(targetId)];
  if (!foundSource) return { ok: false, code: 'NOT_CONNECTED' };
  if (!foundTarget) return { ok: false, code: 'TARGET_OFFLINE' };
  const source = await settle(tx, foundSource);
  const target = await settle(tx, foundTarget);
  // This very request open already can only be a resent call: report it as opened.
  if (isOpenRequest(source, target, requestId)) return { ok: true, source, target };
  // Crossing requests: the target asks the source already, and this request is its consent. They pair at once.
  if (target.state.kind === 'asking' && isOpenRequest(target, source, target.state.requestId)) {
    const crossed = { requestId: target.state.requestId, sourceId: targetId, targetId: sourceId };
    pairBoth(tx, source, target);
    return { ok: true, source, target, crossed };
  }
  if (source.state.kind === 'paired' && source.state.peerId === targetId) return { ok: true, source, target, already: true };
  if (source.state.kind !== 'free') return { ok: false, code: 'SOURCE_BUSY' };
  if (target.state.kind !== 'free') return { ok: false, code: 'TARGET_BUSY' };
  source.state = { kind: 'asking', requestId, otherId: targetId };
  target.state = { kind: 'asked', requestId, otherId: sourceId };
  tx.put(source);
  tx.put(target);
  return { ok: true, source, target };
}

export async function confirm(tx: ClientTransaction, { requestId, sourceId, targetId }: PairingRequest): Promise<ConfirmOutcome> {
  await tx.lock(sourceId, targetId);
  const [source, target] = [tx.record(sourceId), tx.record(targetId)];
  if (!isOpenRequest(source, target, requestId)) return { ok: false, code: 'NO_PENDING_REQUEST' };
  pairBoth(tx, source!, target!);
  return { ok: true, source: source!, target: target! };
}

export async function cancel(tx: ClientTransaction, { requestId, sourceId, targetId }: PairingRequest): Promise<boolean> {
  await tx.lock(sourceId, targetId);
  const [source, target] = [tx.record(sourceId), tx.record(targetId)];
  if (!isOpenRequest(source, target, requestId)) return false;
  tx.put({ ...source!, state: FREE });
  tx.put({ ...target!, state: FREE });
  return true;
}

export async function unpair(tx: ClientTransaction, clientId: string): Promise<{ record: ClientRecord; peer: ClientRecord } | undefined> {
  const found = await lockWithOther(tx, clientId);
  if (!found || found.state.kind !== 'paired') return undefined;
  const rec = await settle(tx, found);
  const peer = rec.state.kind === 'paired' ? await tx.linked(rec) : undefined;
  if (!peer) return undefined;
  const [freedRec, freedPeer] = [
    { ...rec, state: FREE },
    { ...peer, state: FREE },
  ];
  tx.put(freedRec);
  tx.put(freedPeer);
  return { record: freedRec, peer: freedPeer };
}

export async function setTransport(
  tx: ClientTransaction,
  clientId: string,
  connectionId: string,
  transport: P2pTransport,
): Promise<boolean> {
  await tx.lock(clientId);
  const rec = tx.record(clientId);
  if (!rec || rec.connectionId !== connectionId || rec.state.kind !== 'paired') return false;
  tx.put({ ...rec, state: { ...rec.state, transport } });
  return true;
}

/** Frees `clientId` if its link is one-sided (what an abandoned operation can leave); true when it repaired one. */
export async function repair(tx: ClientTransaction, clientId: string): Promise<boolean> {
  await tx.lock(clientId);
  const rec = tx.record(clientId);
  if (!rec || rec.state.kind === 'free') return false;
  return (await settle(tx, rec)) !== rec;
}
