import { setTimeout as sleep } from 'node:timers/promises';
import type { Cluster, Redis } from 'ioredis';
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
import { storeCall } from '../redis/command.bound.js';
import { encodeRecord, parseRecord } from '../redis/record.codec.js';
import { DEFAULT_STORE_COMMAND_TIMEOUT_MS } from '../redis/redis-pairing.store.js';
import { RedisStoreUnavailableError } from '../redis/redis-store-unavailable.error.js';
import { ClientTransaction, LockBusyError, type ShardedStoreHooks, type TransactionHost } from './client.transaction.js';
import * as ops from './sharded-pairing.operations.js';
import { PartitionTable } from './partition.table.js';
import { type OnEveryPartition, readAll, readCounts, readPage, readPairings } from './sharded-reads.js';
import { defineShardedScripts, shardedCommandName, type ShardedScript } from './sharded.scripts.js';
import { removeNodeClients } from './node.sweep.js';

export interface ShardedRedisPairingStoreOptions {
  /** Names the store's keys: `{<keyPrefix>:<tag>}:...` per partition, `{<keyPrefix>:meta}:...`. Default 'p2p'. */
  keyPrefix?: string;
  /** How many partitions the clients are hashed onto (each one hash tag, one slot). @default 64 */
  partitions?: number;
  /** Longest wait for one Redis call, as RedisPairingStore's. @default 1500 */
  commandTimeoutMs?: number;
  /**
   * How long a client's lock lives when its operation never releases it (the node died mid-operation): the longest
   * a client stays locked by an abandoned operation. Keep it well below `pairTimeoutMs`. @default 2000
   */
  lockTtlMs?: number;
  /** How long an operation retries while its clients are locked by others before it fails with STORE_UNAVAILABLE. @default 5000 */
  lockWaitMs?: number;
}

/** Clients removed at once by a sweep or a forget, each its own transaction. */
const REMOVAL_BATCH = 16;
/** Partitions whose abandoned locks one sweep looks for (see repairSuspects). */
const REPAIR_PARTITIONS_PER_SWEEP = 8;

/**
 * A ClusterPairingStore whose keys spread over a Redis Cluster's shards: each client lives in one of `partitions`
 * hash-tagged partitions, chosen by a hash of its clientId. A one-client change is one transaction on one partition;
 * a change over two clients takes both clients' locks (expiring on their own), decides once on what it read, and writes
 * each half under its lock. See docs/cluster.md, "The store sharded by client", for the protocol and its invariants.
 *
 * Works on a standalone Redis as well (every partition then lives on it). Reads that span partitions (lists, pages,
 * counts) are each partition at one instant, merged; a single record is always whole. It is a ClusterPairingStore by
 * its shape, as RedisPairingStore is (the stores folder does not import the cluster layer, which imports it).
 */
export class ShardedRedisPairingStore implements PairingStore, TransactionHost {
  readonly keyPrefix: string;
  readonly table: PartitionTable;
  readonly lockTtlMs: number;
  private readonly lockWaitMs: number;
  private readonly commandTimeoutMs: number;
  private readonly meta: string;
  /** The partition the last sweep's repair ended at; each store starts at a random one. */
  private repairCursor: number;

  constructor(
    private readonly redis: Redis | Cluster,
    options: ShardedRedisPairingStoreOptions = {},
    /** Test hooks only (to abandon an operation in the middle); production code passes none. */
    readonly hooks?: ShardedStoreHooks,
  ) {
    this.keyPrefix = options.keyPrefix ?? 'p2p';
    if (this.keyPrefix === '' || /[{}]/.test(this.keyPrefix)) {
      throw new TypeError(`ShardedRedisPairingStore: keyPrefix must be non-empty, without { or }: '${this.keyPrefix}'`);
    }
    this.table = new PartitionTable(this.keyPrefix, options.partitions ?? 64);
    this.meta = `{${this.keyPrefix}:meta}`;
    this.repairCursor = Math.floor(Math.random() * this.table.partitions);
    this.commandTimeoutMs = positive('commandTimeoutMs', options.commandTimeoutMs ?? DEFAULT_STORE_COMMAND_TIMEOUT_MS);
    this.lockTtlMs = positive('lockTtlMs', options.lockTtlMs ?? 2_000);
    this.lockWaitMs = positive('lockWaitMs', options.lockWaitMs ?? 5_000);
    defineShardedScripts(redis);
  }

  /** A new id: one script after the sequence number (the fast path); an id held already: the full transaction. */
  async registerClient(record: ClientRecord, policy: DuplicateClientIdPolicy): Promise<RegisterOutcome> {
    const { detachedUntil: _dropped, ...rest } = record;
    const fresh: ClientRecord = { ...structuredClone(rest), state: { kind: 'free' } };
    const nextSeq = () => this.nextSeq('registerClient');
    const added = await this.onClient('addNew', fresh.clientId, fresh.clientId, encodeRecord(fresh), await nextSeq(), fresh.nodeId);
    if (added === 'added') return { ok: true };
    return this.transact('registerClient', (tx) => ops.register(tx, fresh, policy, nextSeq));
  }

  /**
   * Writes back the record of a connection its node still holds, which the store lost (a failover dropped the write):
   * nothing when the id is held; a link only when the other side names this client back. The record as restored.
   */
  restoreClient(record: ClientRecord): Promise<ClientRecord | undefined> {
    return this.transact('restoreClient', (tx) => ops.restore(tx, record, () => this.nextSeq('restoreClient')));
  }

  detachClient(clientId: string, connectionId: string, until: number): Promise<DetachOutcome | undefined> {
    return this.transact('detachClient', (tx) => ops.detach(tx, clientId, connectionId, until));
  }

  /** A free client: one script (the fast path); one in a pairing or a request: the full transaction, which frees the other. */
  async removeClient(clientId: string, connectionId: string): Promise<RemovedClient | undefined> {
    const removed = (await this.onClient('removeFree', clientId, clientId, connectionId)) as string;
    if (removed === '') return undefined;
    if (removed !== 'locked' && removed !== 'linked') {
      const gone = parseRecord(removed);
      return { record: gone, leftState: gone.state };
    }
    return this.transact('removeClient', (tx) => ops.remove(tx, clientId, connectionId));
  }

  getClient(clientId: string): Promise<ClientRecord | undefined> {
    return this.read(clientId);
  }

  async listClients(filter?: { available?: boolean }): Promise<ClientRecord[]> {
    const records = await readAll(this.everyPartition());
    return filter?.available ? records.filter((record) => record.state.kind === 'free') : records;
  }

  async listClientIds(query: ClientPageQuery): Promise<ClientPage<string>> {
    const page = await readPage(this.everyPartition(), () => this.currentSeq(), query, false);
    return { ...page, items: page.items.map((entry) => entry.id) };
  }

  async listClientRecords(query: ClientPageQuery): Promise<ClientPage<ClientRecord>> {
    const page = await readPage(this.everyPartition(), () => this.currentSeq(), query, true);
    return { ...page, items: page.items.map((entry) => parseRecord(entry.raw!)) };
  }

  reservePairing(request: PairingRequest): Promise<ReserveOutcome> {
    return this.transact('reservePairing', (tx) => ops.reserve(tx, request));
  }

  confirmPairing(request: PairingRequest): Promise<ConfirmOutcome> {
    return this.transact('confirmPairing', (tx) => ops.confirm(tx, request));
  }

  cancelPairing(request: PairingRequest): Promise<boolean> {
    return this.transact('cancelPairing', (tx) => ops.cancel(tx, request));
  }

  unpair(clientId: string): Promise<{ record: ClientRecord; peer: ClientRecord } | undefined> {
    return this.transact('unpair', (tx) => ops.unpair(tx, clientId));
  }

  setTransport(clientId: string, connectionId: string, transport: P2pTransport): Promise<boolean> {
    return this.transact('setTransport', (tx) => ops.setTransport(tx, clientId, connectionId, transport));
  }

  listPairings(): Promise<Pairing[]> {
    return readPairings(this.everyPartition());
  }

  counts(): Promise<StoreCounts> {
    return readCounts(this.everyPartition());
  }

  async heartbeat(nodeId: string, ttlMs: number): Promise<boolean> {
    if (!Number.isFinite(ttlMs) || ttlMs < 1) throw new RangeError(`ShardedRedisPairingStore: heartbeat ttlMs ${ttlMs} < 1`);
    return Number(await this.onMeta('heartbeat', nodeId, String(Math.ceil(ttlMs)))) === 1;
  }

  /**
   * Removes the clients of every node whose liveness lapsed (a client held for reconnect grace stays until its grace
   * ran out), then repairs what abandoned operations left one-sided. Concurrent sweeps never report a removal twice.
   */
  async sweepDeadNodes(): Promise<RemovedClient[]> {
    const removals: RemovedClient[] = [];
    for (const nodeId of (await this.onMeta('deadNodes')) as string[]) {
      if (await removeNodeClients(this, nodeId, Date.now(), removals, REMOVAL_BATCH)) await this.onMeta('unlist', nodeId);
    }
    await this.repairSuspects();
    return removals;
  }

  async forgetNode(nodeId: string, options: { keepHeld?: boolean } = {}): Promise<RemovedClient[]> {
    await this.onMeta('lapse', nodeId);
    const removals: RemovedClient[] = [];
    const now = options.keepHeld ? Date.now() : undefined;
    if (await removeNodeClients(this, nodeId, now, removals, REMOVAL_BATCH)) await this.onMeta('unlist', nodeId);
    return removals;
  }

  async isNodeAlive(nodeId: string): Promise<boolean> {
    const [alive, listed] = await this.guard('isNodeAlive', () =>
      Promise.all([this.redis.exists(`${this.meta}:alive:${nodeId}`), this.redis.sismember(`${this.meta}:nodes`, nodeId)]),
    );
    return alive === 1 && listed === 1;
  }

  async ping(): Promise<void> {
    await this.guard('ping', () => this.redis.ping());
  }

  /**
   * Runs one operation in a transaction: on a lock held by another operation, releases what it holds and runs again
   * after a random pause (growing up to 50 ms), for at most `lockWaitMs`; then STORE_UNAVAILABLE.
   */
  async transact<T>(operation: string, body: (tx: ClientTransaction) => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.lockWaitMs;
    for (let attempt = 0; ; attempt++) {
      const tx = new ClientTransaction(this);
      try {
        const result = await body(tx);
        await tx.commit();
        return result;
      } catch (error) {
        await tx.abandon();
        if (!(error instanceof LockBusyError)) throw error;
        if (Date.now() >= deadline) throw new RedisStoreUnavailableError(operation, `clients locked for over ${this.lockWaitMs} ms`);
        await sleep(1 + Math.random() * Math.min(50, 2 ** attempt));
      }
    }
  }

  /** @internal TransactionHost */
  onClient(script: ShardedScript, clientId: string, ...args: string[]): Promise<unknown> {
    return this.onPartition(script, this.table.partitionOf(clientId), ...args);
  }

  /** @internal TransactionHost */
  async read(clientId: string): Promise<ClientRecord | undefined> {
    const key = `${this.table.base(this.table.partitionOf(clientId))}:c:${clientId}`;
    const raw = await this.guard('getClient', () => this.redis.get(key));
    return raw === null ? undefined : parseRecord(raw);
  }

  /** @internal The ids of `nodeId`'s clients, from every partition. */
  async nodeClients(nodeId: string): Promise<string[]> {
    return ((await this.everyPartition()('nodeClients', nodeId)) as string[][]).flat();
  }

  /**
   * Frees the one-sided links left by abandoned operations (their locks lapsed; their partners are suspects), in
   * REPAIR_PARTITIONS_PER_SWEEP partitions per sweep, in turn: a node's sweeps go round every partition, and the nodes
   * of a cluster share the round. Decisions never wait for this (they treat a one-sided link as free): it only sets
   * the records, lists and counts right.
   */
  private async repairSuspects(): Promise<void> {
    const partitions = Array.from({ length: Math.min(REPAIR_PARTITIONS_PER_SWEEP, this.table.partitions) }, () => {
      this.repairCursor = (this.repairCursor + 1) % this.table.partitions;
      return this.repairCursor;
    });
    await Promise.all(
      partitions.map(async (partition) => {
        const ids = (await this.onPartition('suspected', partition)) as string[];
        if (ids.length === 0) return;
        for (const id of ids) await this.transact('sweepDeadNodes', (tx) => ops.repair(tx, id));
        await this.onPartition('unsuspect', partition, ...ids);
      }),
    );
  }

  /** A new connection sequence number (one counter for the store, on the meta tag). */
  private async nextSeq(operation: string): Promise<string> {
    return String(await this.guard(operation, () => this.redis.incr(`${this.meta}:seq`)));
  }

  private currentSeq(): Promise<number> {
    return this.guard('listClientIds', () => this.redis.get(`${this.meta}:seq`)).then((raw) => Number(raw ?? 0));
  }

  /** A read on every partition at once, its replies in partition order. */
  private everyPartition(): OnEveryPartition {
    return (script, ...args) => Promise.all(this.table.tags.map((_tag, partition) => this.onPartition(script, partition, ...args)));
  }

  private onPartition(script: ShardedScript, partition: number, ...args: string[]): Promise<unknown> {
    return this.command(script, this.table.base(partition), args);
  }

  private onMeta(script: ShardedScript, ...args: string[]): Promise<unknown> {
    return this.command(script, this.meta, args);
  }

  private command(script: ShardedScript, key: string, args: string[]): Promise<unknown> {
    const commands = this.redis as unknown as Record<string, (...args: string[]) => Promise<unknown>>;
    return this.guard(script, () => commands[shardedCommandName(script)]!.call(this.redis, key, ...args));
  }

  private guard<T>(operation: string, send: () => Promise<T>): Promise<T> {
    return storeCall(this.redis.status, operation, this.commandTimeoutMs, send);
  }
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0)
    throw new TypeError(`ShardedRedisPairingStore: ${name} must be a positive number, got ${value}`);
  return value;
}
