import { ClientSequenceIndex, type SequencePage } from './client-sequence.index.js';
import type { P2pTransport } from 'nest-p2p-gateway-protocol';
import type {
  ClientPage,
  ClientPageQuery,
  ClientRecord,
  ConfirmOutcome,
  DetachOutcome,
  DuplicateClientIdPolicy,
  Pairing,
  PairingRequest,
  PairingState,
  PairingStore,
  RegisterOutcome,
  RemovedClient,
  ReserveOutcome,
  StoreCounts,
} from './pairing-store.interface.js';

const FREE: PairingState = Object.freeze({ kind: 'free' });

/**
 * What callers get: a copy, so that nothing they do changes the store. A spread of the record alone, then its state
 * replaced, is V8's fast object clone (a spread followed by another property is not).
 */
function copy(record: ClientRecord): ClientRecord {
  const copied = { ...record };
  copied.state = { ...record.state };
  return copied;
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
    const { detachedUntil: _ignored, ...fresh } = copy(record);
    this.clients.set(record.clientId, { ...fresh, state: FREE });
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
    return chosen.map(copy);
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

  async reservePairing({ requestId, sourceId, targetId }: PairingRequest): Promise<ReserveOutcome> {
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
        return { ok: true, source: copy(source), target: copy(target), crossed };
      }
    }
    if (source.state.kind === 'paired' && source.state.peerId === targetId && target.state.kind === 'paired') {
      return { ok: true, source: copy(source), target: copy(target), already: true };
    }
    if (source.state.kind !== 'free') return { ok: false, code: 'SOURCE_BUSY' };
    if (target.state.kind !== 'free') return { ok: false, code: 'TARGET_BUSY' };
    this.setState(source, { kind: 'asking', requestId, otherId: targetId });
    this.setState(target, { kind: 'asked', requestId, otherId: sourceId });
    return { ok: true, source: copy(source), target: copy(target) };
  }

  async confirmPairing(request: PairingRequest): Promise<ConfirmOutcome> {
    const pair = this.openRequest(request);
    if (!pair) return { ok: false, code: 'NO_PENDING_REQUEST' };
    this.pair(pair.source, pair.target);
    return { ok: true, source: copy(pair.source), target: copy(pair.target) };
  }

  async cancelPairing(request: PairingRequest): Promise<boolean> {
    const pair = this.openRequest(request);
    if (!pair) return false;
    this.setState(pair.source, FREE);
    this.setState(pair.target, FREE);
    return true;
  }

  async unpair(clientId: string): Promise<{ record: ClientRecord; peer: ClientRecord } | undefined> {
    const record = this.clients.get(clientId);
    if (record?.state.kind !== 'paired') return undefined;
    const peer = this.clients.get(record.state.peerId);
    if (!peer) return undefined;
    this.setState(record, FREE);
    this.setState(peer, FREE);
    return { record: copy(record), peer: copy(peer) };
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
    if (!other) return { record: copy(record), leftState: { ...leftState } };
    this.setState(other, FREE);
    return { record: copy(record), leftState: { ...leftState }, other: copy(other) };
  }
}

function withNext<T>(page: ClientPage<T>, read: SequencePage, until: number): ClientPage<T> {
  return read.more ? { ...page, next: { after: read.lastSeq, until } } : page;
}
