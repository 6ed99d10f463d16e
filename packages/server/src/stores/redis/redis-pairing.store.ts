import { Redis, type Cluster } from 'ioredis';
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
  PairingStore,
  RegisterOutcome,
  RemovedClient,
  ReserveOutcome,
  StoreCounts,
} from '../pairing-store.interface.js';
import { decodeRecord, decodeRemoved, encodeRecord, optionalRecord, parseRecord } from './record.codec.js';
import { storeCall } from './command.bound.js';
import { commandName, defineScripts, type ScriptName } from './scripts/scripts.catalog.js';

export interface RedisPairingStoreOptions {
  /** Names this store's keys: all of them are `{<keyPrefix>}:...` (one hash tag, one cluster slot). Default 'p2p'. */
  keyPrefix?: string;
  /**
   * Longest wait for Redis to answer one call; then it fails with STORE_UNAVAILABLE (a Redis that hangs instead of
   * refusing). The command is not withdrawn: Redis may still run it, so the outcome of a call that timed out is unknown.
   * @default 1500
   */
  commandTimeoutMs?: number;
}

export const DEFAULT_STORE_COMMAND_TIMEOUT_MS = 1_500;

type Stored = Record<string, any>;

/**
 * A PairingStore shared by every gateway node through Redis. Every state change is one Lua script, atomic in Redis;
 * reads are read-only scripts or single commands, each one consistent snapshot. Records returned are fresh objects.
 *
 * Failure: a call made while the connection is lost (client reconnecting, closed or ended) rejects at once with
 * RedisStoreUnavailableError (code STORE_UNAVAILABLE), as does any call the client fails for want of a connection; the
 * gateway maps a rejection to an error code for the client. A call made during the client's very first connection
 * attempt follows the client's own queueing options (`enableOfflineQueue`, `maxRetriesPerRequest`). The store sets
 * nothing on the client but its script commands (`p2pStore_*`), and never closes a client it did not create.
 *
 * A command the client resends after a reconnection (`autoResendUnfulfilledCommands`) may run twice: registering the
 * same connection again and reserving the same request again answer as the first run did; confirm, cancel, unpair
 * and remove answer "nothing to do" the second time (a reserve that paired crossing requests answers `already`). Create
 * the client with `autoResendUnfulfilledCommands: false` to rule that out.
 *
 * Node liveness (for the cluster layer; not part of PairingStore): `heartbeat` keeps a node alive, `sweepDeadNodes`
 * removes the clients of nodes that stopped, `forgetNode` those of a node shutting down. A node should send its first
 * heartbeat before it admits clients: nodes never heard of are never swept.
 */
export class RedisPairingStore implements PairingStore {
  readonly keyPrefix: string;
  private readonly commandTimeoutMs: number;
  /** `{<keyPrefix>}`: KEYS[1] of every script, the root of every key. */
  private readonly base: string;
  private ownsClient = false;

  constructor(
    private readonly redis: Redis | Cluster,
    options: RedisPairingStoreOptions = {},
  ) {
    this.keyPrefix = options.keyPrefix ?? 'p2p';
    if (this.keyPrefix === '' || /[{}]/.test(this.keyPrefix)) {
      throw new TypeError(`RedisPairingStore: keyPrefix must be non-empty, without { or }: '${this.keyPrefix}'`);
    }
    this.base = `{${this.keyPrefix}}`;
    this.commandTimeoutMs = options.commandTimeoutMs ?? DEFAULT_STORE_COMMAND_TIMEOUT_MS;
    if (!Number.isFinite(this.commandTimeoutMs) || this.commandTimeoutMs <= 0) {
      throw new TypeError(`RedisPairingStore: commandTimeoutMs must be a positive number, got ${this.commandTimeoutMs}`);
    }
    defineScripts(redis);
  }

  /** A store on a client of its own, which `close()` closes. */
  static connect(url: string, options: RedisPairingStoreOptions = {}): RedisPairingStore {
    const store = new RedisPairingStore(new Redis(url), options);
    store.ownsClient = true;
    return store;
  }

  /** Closes the client if this store created it; a client given to the constructor is left open. */
  async close(): Promise<void> {
    if (this.ownsClient && this.redis.status !== 'end') await this.redis.quit();
  }

  async registerClient(record: ClientRecord, policy: DuplicateClientIdPolicy): Promise<RegisterOutcome> {
    const { detachedUntil: _dropped, ...fresh } = record;
    const reply = await this.json('register', encodeRecord({ ...fresh, state: { kind: 'free' } }), policy);
    if (!reply.ok) return { ok: false, code: 'CLIENT_ID_TAKEN' };
    if (reply.resumed) {
      const { record: resumedRecord, previousConnectionId, peer } = reply.resumed as Stored;
      const peerRecord = optionalRecord(peer);
      const resumed = { record: decodeRecord(resumedRecord), previousConnectionId: previousConnectionId as string };
      return { ok: true, resumed: peerRecord ? { ...resumed, peer: peerRecord } : resumed };
    }
    return reply.displaced ? { ok: true, displaced: decodeRemoved(reply.displaced) } : { ok: true };
  }

  async detachClient(clientId: string, connectionId: string, until: number): Promise<DetachOutcome | undefined> {
    const reply = await this.optionalJson('detach', clientId, connectionId, String(until));
    if (!reply) return undefined;
    if (reply.removed) return { removed: decodeRemoved(reply.removed) };
    const detached = decodeRecord(reply.detached);
    const peer = optionalRecord(reply.peer);
    return peer ? { detached, peer } : { detached };
  }

  async removeClient(clientId: string, connectionId: string): Promise<RemovedClient | undefined> {
    const reply = await this.optionalJson('remove', clientId, connectionId);
    return reply && decodeRemoved(reply);
  }

  /**
   * Writes back the record of a connection whose node still holds it but whose record the store lost (a write a
   * failover dropped). Nothing when the id is held; a paired state only when the peer names this client back, else
   * free. Returns the record as restored.
   */
  async restoreClient(record: ClientRecord): Promise<ClientRecord | undefined> {
    const reply = await this.optionalJson('restore', encodeRecord(record));
    return reply && decodeRecord(reply);
  }

  async getClient(clientId: string): Promise<ClientRecord | undefined> {
    const raw = await this.guard('getClient', () => this.redis.get(`${this.base}:c:${clientId}`));
    return raw === null ? undefined : parseRecord(raw);
  }

  async listClients(filter?: { available?: boolean }): Promise<ClientRecord[]> {
    const records = ((await this.run('list')) as string[]).map(parseRecord);
    return filter?.available ? records.filter((record) => record.state.kind === 'free') : records;
  }

  async listClientIds(query: ClientPageQuery): Promise<ClientPage<string>> {
    const page = await this.page(query, false);
    return { ...page, items: JSON.parse(page.items[0]!) as string[] };
  }

  async listClientRecords(query: ClientPageQuery): Promise<ClientPage<ClientRecord>> {
    const page = await this.page(query, true);
    return { ...page, items: page.items.map(parseRecord) };
  }

  async reservePairing({ requestId, sourceId, targetId }: PairingRequest): Promise<ReserveOutcome> {
    const reply = await this.json('reserve', requestId, sourceId, targetId);
    if (!reply.ok) return { ok: false, code: reply.code };
    const [source, target] = [decodeRecord(reply.source), decodeRecord(reply.target)];
    if (reply.crossed) return { ok: true, source, target, crossed: reply.crossed as PairingRequest };
    return reply.already ? { ok: true, source, target, already: true } : { ok: true, source, target };
  }

  async confirmPairing({ requestId, sourceId, targetId }: PairingRequest): Promise<ConfirmOutcome> {
    const reply = await this.json('confirm', requestId, sourceId, targetId);
    if (!reply.ok) return { ok: false, code: 'NO_PENDING_REQUEST' };
    return { ok: true, source: decodeRecord(reply.source), target: decodeRecord(reply.target) };
  }

  async cancelPairing({ requestId, sourceId, targetId }: PairingRequest): Promise<boolean> {
    return (await this.run('cancel', requestId, sourceId, targetId)) === 1;
  }

  async unpair(clientId: string): Promise<{ record: ClientRecord; peer: ClientRecord } | undefined> {
    const reply = await this.optionalJson('unpair', clientId);
    return reply && { record: decodeRecord(reply.record), peer: decodeRecord(reply.peer) };
  }

  async setTransport(clientId: string, connectionId: string, transport: P2pTransport): Promise<boolean> {
    return (await this.run('transport', clientId, connectionId, transport)) === 1;
  }

  async listPairings(): Promise<Pairing[]> {
    const paired = ((await this.run('paired')) as string[]).map(parseRecord);
    const byId = new Map(paired.map((record) => [record.clientId, record]));
    const pairings: Pairing[] = [];
    for (const a of paired) {
      if (a.state.kind !== 'paired' || a.clientId > a.state.peerId) continue;
      const b = byId.get(a.state.peerId);
      if (b?.state.kind === 'paired' && b.state.peerId === a.clientId) pairings.push({ a, b, since: a.state.since });
    }
    return pairings;
  }

  async counts(): Promise<StoreCounts> {
    const [clients, paired, asking] = (await this.run('counts')) as [number, number, number];
    return { clients, pairings: paired / 2, pendingRequests: asking };
  }

  /**
   * Keeps `nodeId` alive for `ttlMs` more. True if the node was listed already; false for its first heartbeat, or
   * when a sweep forgot it (and its clients) since its last one.
   */
  async heartbeat(nodeId: string, ttlMs: number): Promise<boolean> {
    if (!Number.isFinite(ttlMs) || ttlMs < 1) throw new RangeError(`RedisPairingStore: heartbeat ttlMs ${ttlMs} < 1`);
    return (await this.run('heartbeat', nodeId, String(Math.ceil(ttlMs)))) === 1;
  }

  /**
   * Forgets every node whose heartbeat lapsed, removing each client it still held as `removeClient` does (freeing the
   * other side); a client held for reconnect grace stays until its grace ran out. Returns the removals, for the caller to notify peers; concurrent sweeps never report one twice.
   */
  async sweepDeadNodes(): Promise<RemovedClient[]> {
    return this.removals('sweep', String(Date.now()));
  }

  /** Answers once Redis does (a PING): for health checks, which bound the wait themselves. */
  async ping(): Promise<void> {
    await this.guard('ping', () => this.redis.ping());
  }

  /** Whether `nodeId` is listed and its liveness has not lapsed: what the other nodes' sweeps go by. Read only. */
  async isNodeAlive(nodeId: string): Promise<boolean> {
    const [alive, listed] = await this.guard('isNodeAlive', () =>
      Promise.all([this.redis.exists(`${this.base}:alive:${nodeId}`), this.redis.sismember(`${this.base}:nodes`, nodeId)]),
    );
    return alive === 1 && listed === 1;
  }

  /**
   * `nodeId` goes away: removes its clients now, as a sweep would once its heartbeat lapsed. With `keepHeld` (a node
   * draining), the clients held for reconnect grace stay for their sessions to come back on another node; a sweep
   * removes those whose grace runs out.
   */
  async forgetNode(nodeId: string, options: { keepHeld?: boolean } = {}): Promise<RemovedClient[]> {
    return this.removals('forget', nodeId, options.keepHeld ? String(Date.now()) : '');
  }

  /** One page as the script answers it: `items` are the records' raw JSON, or (ids only) one JSON array of the ids. */
  private async page({ available, from, limit }: ClientPageQuery, records: boolean): Promise<ClientPage<string>> {
    const args = [available ? '1' : '0', from ? String(from.after) : '', from ? String(from.until) : '', String(limit)];
    const [until, more, last, ...items] = (await this.run('page', ...args, records ? '1' : '0')) as [string, number, string, ...string[]];
    return more === 1 ? { items, next: { after: Number(last), until: Number(until) } } : { items };
  }

  private async removals(script: ScriptName, ...args: string[]): Promise<RemovedClient[]> {
    return ((await this.run(script, ...args)) as string[]).map((raw) => decodeRemoved(JSON.parse(raw) as Stored));
  }

  private async json(script: ScriptName, ...args: string[]): Promise<Stored> {
    return JSON.parse((await this.run(script, ...args)) as string) as Stored;
  }

  private async optionalJson(script: ScriptName, ...args: string[]): Promise<Stored | undefined> {
    const reply = (await this.run(script, ...args)) as string | null;
    return reply === null ? undefined : (JSON.parse(reply) as Stored);
  }

  private run(script: ScriptName, ...args: string[]): Promise<unknown> {
    const commands = this.redis as unknown as Record<string, (...args: string[]) => Promise<unknown>>;
    const command = commands[commandName(script)]!;
    return this.guard(script, () => command.call(this.redis, this.base, ...args));
  }

  private guard<T>(operation: string, send: () => Promise<T>): Promise<T> {
    return storeCall(this.redis.status, operation, this.commandTimeoutMs, send);
  }
}
