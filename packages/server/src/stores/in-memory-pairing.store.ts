import { ClientSequenceIndex, type SequencePage } from './client-sequence.index.js';
import type { P2pTransport } from 'nest-p2p-gateway-protocol';
import type {
  ClientPage,
  ClientPageQuery,
  ClientRecord,
  ConfirmOutcome,
  DetachOutcome,
  DuplicateClientIdPolicy,
  ImmediatePairingCalls,
  Pairing,
  PairingRequest,
  PairingState,
  PairingStore,
  RegisterOutcome,
  RemovedClient,
  ReserveOutcome,
  StoreCounts,
  UnpairOutcome,
} from './pairing-store.interface.js';

const FREE: PairingState = Object.freeze({ kind: 'free' });

/**
 * What callers get: a copy, so that nothing they do changes the store. Written out field by field rather than spread:
 * one spread site sees the four state shapes (and the frozen FREE), goes megamorphic and falls back to V8's slow
 * clone, a property definition at a time (about a sixth of the gateway's excess instructions per pair + unpair over
 * the bare relay, callgrind). Optional fields stay absent when absent; `withDetached` false leaves `detachedUntil` out.
 */
function copy(record: ClientRecord, withDetached = true): ClientRecord {
  const copied: ClientRecord = {
    clientId: record.clientId,
    connectionId: record.connectionId,
    nodeId: record.nodeId,
    protocolVersion: record.protocolVersion,
    connectedAt: record.connectedAt,
    state: copyState(record.state),
  };
  if (record.sessionTokenHash !== undefined) copied.sessionTokenHash = record.sessionTokenHash;
  if (record.webrtc !== undefined) copied.webrtc = record.webrtc;
  if (record.e2eCommit !== undefined) copied.e2eCommit = record.e2eCommit;
  if (withDetached && record.detachedUntil !== undefined) copied.detachedUntil = record.detachedUntil;
  return copied;
}

/** What the immediate calls give of a record: the store's own (see PairingStore.immediate). */
type Out = (record: ClientRecord) => ClientRecord;
const asIs: Out = (record) => record;

function copyState(state: PairingState): PairingState {
  switch (state.kind) {
    case 'free':
      return { kind: 'free' };
    case 'asking':
      return { kind: 'asking', requestId: state.requestId, otherId: state.otherId };
    case 'asked':
      return { kind: 'asked', requestId: state.requestId, otherId: state.otherId };
    case 'paired':
      return state.transport === undefined
        ? { kind: 'paired', peerId: state.peerId, since: state.since }
        : { kind: 'paired', peerId: state.peerId, since: state.since, transport: state.transport };
  }
}

/**
 * The embedded default store: one process, every method atomic because each runs to completion on the event loop
 * without awaiting.
 */
export class InMemoryPairingStore implements PairingStore {
  private readonly clients = new Map<string, ClientRecord>();
  /** Each client's connection sequence number, and the indexes that page by it (every client, the free ones). */
  private readonly seqOf = new Map<string, number>();
  private readonly everyClient = new ClientSequenceIndex();
  private readonly freeClients = new ClientSequenceIndex();
  private lastSeq = 0;
  /**
   * The calls of the pairing hot path without their promises (same state, same effects), answering with the store's
   * own records rather than copies: see PairingStore.immediate.
   */
  readonly immediate: ImmediatePairingCalls = {
    getClient: (clientId) => this.clients.get(clientId),
    reservePairing: (request) => this.reserveNow(request, asIs),
    confirmPairing: (request) => this.confirmNow(request, asIs),
    cancelPairing: (request) => this.cancelNow(request),
    unpair: (clientId) => this.unpairNow(clientId, asIs),
  };

  async registerClient(record: ClientRecord, policy: DuplicateClientIdPolicy): Promise<RegisterOutcome> {
    const holder = this.clients.get(record.clientId);
    let displaced: RemovedClient | undefined;
    if (holder) {
      const sameSession = holder.sessionTokenHash !== undefined && holder.sessionTokenHash === record.sessionTokenHash;
      if (sameSession && holder.state.kind === 'paired') {
        const previousConnectionId = holder.connectionId;
        holder.connectionId = record.connectionId;
        holder.nodeId = record.nodeId;
        holder.protocolVersion = record.protocolVersion;
        if (record.webrtc === undefined) delete holder.webrtc;
        else holder.webrtc = record.webrtc;
        if (record.e2eCommit === undefined) delete holder.e2eCommit;
        else holder.e2eCommit = record.e2eCommit;
        delete holder.detachedUntil;
        const peer = this.clients.get(holder.state.peerId);
        return { ok: true, resumed: { record: copy(holder), previousConnectionId, ...(peer ? { peer: copy(peer) } : {}) } };
      }
      if (!sameSession && policy !== 'replace') return { ok: false, code: 'CLIENT_ID_TAKEN' };
      displaced = this.remove(holder);
    }
    // Stored as a copy of its own, free, and never detached: a new connection is not away.
    const stored = copy(record, false);
    stored.state = FREE;
    this.clients.set(record.clientId, stored);
    const seq = ++this.lastSeq;
    this.seqOf.set(record.clientId, seq);
    this.everyClient.add(seq, record.clientId);
    this.freeClients.add(seq, record.clientId);
    return displaced ? { ok: true, displaced } : { ok: true };
  }

  async removeClient(clientId: string, connectionId: string): Promise<RemovedClient | undefined> {
    const record = this.clients.get(clientId);
    if (!record || record.connectionId !== connectionId) return undefined;
    return this.remove(record);
  }

  async detachClient(clientId: string, connectionId: string, until: number): Promise<DetachOutcome | undefined> {
    const record = this.clients.get(clientId);
    if (!record || record.connectionId !== connectionId) return undefined;
    if (record.state.kind === 'paired' && record.sessionTokenHash !== undefined) {
      record.detachedUntil = until;
      const peer = this.clients.get(record.state.peerId);
      return peer ? { detached: copy(record), peer: copy(peer) } : { detached: copy(record) };
    }
    return { removed: this.remove(record) };
  }

  async getClient(clientId: string): Promise<ClientRecord | undefined> {
    const record = this.clients.get(clientId);
    return record && copy(record);
  }

  async listClients(filter?: { available?: boolean }): Promise<ClientRecord[]> {
    const all = [...this.clients.values()];
    const chosen = filter?.available ? all.filter((record) => record.state.kind === 'free') : all;
    return chosen.map((record) => copy(record));
  }

  async listClientIds(query: ClientPageQuery): Promise<ClientPage<string>> {
    const { page, until } = this.page(query);
    return withNext({ items: page.ids }, page, until);
  }

  async listClientRecords(query: ClientPageQuery): Promise<ClientPage<ClientRecord>> {
    const { page, until } = this.page(query);
    // Every id in the index has a record: both change in the same synchronous step.
    return withNext({ items: page.ids.map((id) => copy(this.clients.get(id)!)) }, page, until);
  }

  async reservePairing(request: PairingRequest): Promise<ReserveOutcome> {
    return this.reserveNow(request, copy);
  }

  async confirmPairing(request: PairingRequest): Promise<ConfirmOutcome> {
    return this.confirmNow(request, copy);
  }

  async cancelPairing(request: PairingRequest): Promise<boolean> {
    return this.cancelNow(request);
  }

  async unpair(clientId: string): Promise<UnpairOutcome | undefined> {
    return this.unpairNow(clientId, copy);
  }

  /** `out` makes what the caller gets of a record: a copy, or (the immediate calls) the record itself. */
  private reserveNow({ requestId, sourceId, targetId }: PairingRequest, out: Out): ReserveOutcome {
    if (sourceId === targetId) return { ok: false, code: 'SELF_PAIRING' };
    const source = this.clients.get(sourceId);
    if (!source) return { ok: false, code: 'NOT_CONNECTED' };
    const target = this.clients.get(targetId);
    if (!target) return { ok: false, code: 'TARGET_OFFLINE' };
    // Crossing requests: the target asks the source already, and this request is its consent. They pair at once.
    if (target.state.kind === 'asking' && target.state.otherId === sourceId) {
      const crossed: PairingRequest = { requestId: target.state.requestId, sourceId: targetId, targetId: sourceId };
      const pair = this.openRequest(crossed);
      if (pair) {
        this.pair(pair.source, pair.target);
        return { ok: true, source: out(source), target: out(target), crossed };
      }
    }
    if (source.state.kind === 'paired' && source.state.peerId === targetId && target.state.kind === 'paired') {
      return { ok: true, source: out(source), target: out(target), already: true };
    }
    if (source.state.kind !== 'free') return { ok: false, code: 'SOURCE_BUSY' };
    if (target.state.kind !== 'free') return { ok: false, code: 'TARGET_BUSY' };
    // The records' own id strings, not the request's (read off the wire, equal but not the same string): later
    // comparisons and lookups with them are then by identity, without comparing characters.
    this.setState(source, { kind: 'asking', requestId, otherId: target.clientId });
    this.setState(target, { kind: 'asked', requestId, otherId: source.clientId });
    return { ok: true, source: out(source), target: out(target) };
  }

  private confirmNow(request: PairingRequest, out: Out): ConfirmOutcome {
    const pair = this.openRequest(request);
    if (!pair) return { ok: false, code: 'NO_PENDING_REQUEST' };
    this.pair(pair.source, pair.target);
    return { ok: true, source: out(pair.source), target: out(pair.target) };
  }

  private cancelNow(request: PairingRequest): boolean {
    const pair = this.openRequest(request);
    if (!pair) return false;
    this.setState(pair.source, FREE);
    this.setState(pair.target, FREE);
    return true;
  }

  private unpairNow(clientId: string, out: Out): UnpairOutcome | undefined {
    const record = this.clients.get(clientId);
    if (record?.state.kind !== 'paired') return undefined;
    const peer = this.clients.get(record.state.peerId);
    if (!peer) return undefined;
    this.setState(record, FREE);
    this.setState(peer, FREE);
    return { record: out(record), peer: out(peer) };
  }

  async setTransport(clientId: string, connectionId: string, transport: P2pTransport): Promise<boolean> {
    const record = this.clients.get(clientId);
    if (record?.connectionId !== connectionId || record.state.kind !== 'paired') return false;
    record.state = { ...record.state, transport };
    return true;
  }

  async listPairings(): Promise<Pairing[]> {
    const pairings: Pairing[] = [];
    for (const record of this.clients.values()) {
      if (record.state.kind !== 'paired' || record.clientId > record.state.peerId) continue;
      const peer = this.clients.get(record.state.peerId);
      if (peer) pairings.push({ a: copy(record), b: copy(peer), since: record.state.since });
    }
    return pairings;
  }

  async counts(): Promise<StoreCounts> {
    let paired = 0;
    let asking = 0;
    for (const { state } of this.clients.values()) {
      if (state.kind === 'paired') paired++;
      else if (state.kind === 'asking') asking++;
    }
    return { clients: this.clients.size, pairings: paired / 2, pendingRequests: asking };
  }

  private pair(source: ClientRecord, target: ClientRecord): void {
    const since = Date.now();
    this.setState(source, { kind: 'paired', peerId: target.clientId, since });
    this.setState(target, { kind: 'paired', peerId: source.clientId, since });
  }

  private openRequest({ requestId, sourceId, targetId }: PairingRequest) {
    const source = this.clients.get(sourceId);
    const target = this.clients.get(targetId);
    if (source?.state.kind !== 'asking' || source.state.requestId !== requestId) return undefined;
    if (target?.state.kind !== 'asked' || target.state.requestId !== requestId) return undefined;
    return { source, target };
  }

  private page({ available, from, limit }: ClientPageQuery): { page: SequencePage; until: number } {
    const until = from?.until ?? this.lastSeq;
    const index = available ? this.freeClients : this.everyClient;
    return { page: index.page(from?.after ?? 0, until, limit), until };
  }

  /** Every state change goes through here, so the index of free clients follows it in the same step. */
  private setState(record: ClientRecord, state: PairingState): void {
    const wasFree = record.state.kind === 'free';
    record.state = state;
    const isFree = state.kind === 'free';
    // Asking to paired (or free to free) leaves the index as it is: no lookup to make.
    if (wasFree === isFree) return;
    const seq = this.seqOf.get(record.clientId)!;
    if (isFree) this.freeClients.add(seq, record.clientId);
    else this.freeClients.delete(seq);
  }

  private remove(record: ClientRecord): RemovedClient {
    this.clients.delete(record.clientId);
    const seq = this.seqOf.get(record.clientId)!;
    this.seqOf.delete(record.clientId);
    this.everyClient.delete(seq);
    this.freeClients.delete(seq);
    const leftState = record.state;
    const otherId = leftState.kind === 'paired' ? leftState.peerId : leftState.kind === 'free' ? undefined : leftState.otherId;
    const other = otherId === undefined ? undefined : this.clients.get(otherId);
    if (!other) return { record: copy(record), leftState: copyState(leftState) };
    this.setState(other, FREE);
    return { record: copy(record), leftState: copyState(leftState), other: copy(other) };
  }
}

function withNext<T>(page: ClientPage<T>, read: SequencePage, until: number): ClientPage<T> {
  return read.more ? { ...page, next: { after: read.lastSeq, until } } : page;
}
