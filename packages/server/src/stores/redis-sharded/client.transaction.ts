import { randomUUID } from 'node:crypto';
import type { ClientRecord } from '../pairing-store.interface.js';
import { encodeRecord, parseRecord } from '../redis/record.codec.js';
import { FREE, namesBack, otherIdOf } from './client-link.rules.js';
import type { ShardedScript } from './sharded.scripts.js';

/** A lock the operation wanted is held by another one (or its own lapsed): the store backs off and runs it again. */
export class LockBusyError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'LockBusyError';
  }
}

/**
 * Points where a test may hold an operation, to abandon it there (a process killed in the middle). Injected through
 * the store's constructor; production code passes none.
 */
export interface ShardedStoreHooks {
  /** After the operation took its locks and before it writes. */
  afterLocks?(clientIds: string[]): Promise<void>;
  /** After the first client's half is written, before the other's (the halves are then written one by one). */
  betweenHalves?(clientIds: string[]): Promise<void>;
}

/** What a transaction needs of the store: its scripts on a client's partition, and plain reads. */
export interface TransactionHost {
  readonly lockTtlMs: number;
  readonly hooks?: ShardedStoreHooks | undefined;
  /** Runs `script` on the partition of `clientId`. */
  onClient(script: ShardedScript, clientId: string, ...args: string[]): Promise<unknown>;
  /** The record as stored now, read without a lock. */
  read(clientId: string): Promise<ClientRecord | undefined>;
}

interface Held {
  record: ClientRecord | undefined;
  raw: string;
  seq: string;
}

type Write = { mode: 'put'; record: ClientRecord; seq: string } | { mode: 'drop' };

/**
 * One operation over one or two clients (three at most: a takeover frees the old peer). It try-locks each client it
 * reads (a lock key with the op's id, expiring after `lockTtlMs` on its own), decides on what it read, and commits
 * each client's half with a script that writes only if the op still holds that client's lock. A half refused that way
 * rolls the written halves back and the operation runs again; a half never written (the process died) leaves the
 * other one-sided, which the link rule makes count as free.
 */
export class ClientTransaction {
  readonly opId = randomUUID();
  /** Redis time (ms) when the first lock was taken: a pairing's `since`, one clock for every node. */
  now = 0;
  private readonly held = new Map<string, Held>();
  private readonly writes = new Map<string, Write>();

  constructor(private readonly host: TransactionHost) {}

  /** Locks the clients not held yet, at once; LockBusyError when another operation holds one. */
  async lock(...clientIds: string[]): Promise<void> {
    const wanted = [...new Set(clientIds)].filter((id) => !this.held.has(id)).sort();
    const everyone = [...this.held.keys(), ...wanted];
    // Settled, not Promise.all: a lock taken after another call failed must still be known, for abandon() to release it.
    const replies = await Promise.allSettled(
      wanted.map(async (id) => {
        const partners = everyone.filter((other) => other !== id).join(',');
        const reply = (await this.host.onClient('lock', id, this.opId, id, String(this.host.lockTtlMs), partners)) as string[];
        if (Number(reply[0]) !== 1) return false;
        const [, raw, now, seq] = reply as [string, string, string, string];
        this.held.set(id, { raw, record: raw === '' ? undefined : parseRecord(raw), seq });
        if (this.now === 0) this.now = Number(now);
        return true;
      }),
    );
    const failed = replies.find((reply) => reply.status === 'rejected');
    if (failed) throw failed.reason;
    if (replies.some((reply) => reply.status === 'fulfilled' && !reply.value))
      throw new LockBusyError(`a client of [${wanted.join(', ')}] is locked`);
    await this.host.hooks?.afterLocks?.([...this.held.keys()]);
  }

  /** The record of a locked client as read under its lock (a fresh copy), undefined when there is none. */
  record(clientId: string): ClientRecord | undefined {
    const held = this.held.get(clientId);
    if (!held) throw new Error(`ClientTransaction: ${clientId} is not locked`);
    return held.raw === '' ? undefined : parseRecord(held.raw);
  }

  /**
   * The client `rec`'s state names, if it names `rec` back (else undefined: the link is one-sided). A locked client is
   * taken as read; another is read without its lock, which is sound: a link between two clients only changes under
   * both their locks, and this operation holds rec's.
   */
  async linked(rec: ClientRecord): Promise<ClientRecord | undefined> {
    const otherId = otherIdOf(rec.state);
    if (otherId === undefined) return undefined;
    const other = this.held.has(otherId) ? this.pending(otherId) : await this.host.read(otherId);
    return other && namesBack(rec, other) ? other : undefined;
  }

  put(record: ClientRecord, seq = ''): void {
    this.writes.set(record.clientId, { mode: 'put', record: structuredClone(record), seq });
  }

  drop(clientId: string): void {
    this.writes.set(clientId, { mode: 'drop' });
  }

  /** Writes every half and releases every lock. LockBusyError (after rolling back) when a half found its lock lost. */
  async commit(): Promise<void> {
    const ids = [...this.held.keys()];
    const written = ids.filter((id) => this.writes.has(id));
    const released = ids.filter((id) => !this.writes.has(id));
    const results = new Map<string, boolean>();
    const before = new Map(this.held);
    const send = async (id: string): Promise<void> => {
      const write = this.writes.get(id);
      const storedNode = before.get(id)?.record?.nodeId ?? '';
      const args =
        write?.mode === 'put'
          ? ['put', encodeRecord(write.record), write.seq, storedNode, write.record.nodeId, write.record.state.kind]
          : [write ? 'drop' : 'release', '', '', storedNode, '', ''];
      results.set(id, Number(await this.host.onClient('commit', id, this.opId, id, ...args)) === 1);
    };
    if (this.host.hooks?.betweenHalves && written.length > 1) {
      await send(written[0]!);
      await this.host.hooks.betweenHalves(written);
      await Promise.all([...written.slice(1), ...released].map(send));
    } else {
      await Promise.all(ids.map(send));
    }
    this.held.clear();
    const lost = written.filter((id) => !results.get(id));
    if (lost.length === 0) return;
    await this.rollback(
      written.filter((id) => results.get(id)),
      before,
    );
    // Whatever the rollback could not put back (another operation took the client first) is left for the sweep to check.
    await Promise.allSettled(written.map((id) => this.host.onClient('suspect', id, id)));
    throw new LockBusyError(`the lock of [${lost.join(', ')}] lapsed before its half was written`);
  }

  /** Releases every lock held, writing nothing; failures are left to the locks' expiry. */
  async abandon(): Promise<void> {
    const ids = [...this.held.keys()];
    this.held.clear();
    await Promise.allSettled(ids.map((id) => this.host.onClient('commit', id, this.opId, id, 'release', '', '', '', '', '')));
  }

  /** The state a locked client will have once committed: its staged write, else as read. */
  private pending(clientId: string): ClientRecord | undefined {
    const write = this.writes.get(clientId);
    if (write) return write.mode === 'put' ? structuredClone(write.record) : undefined;
    return this.record(clientId);
  }

  /** Puts back what the halves written held before, where nothing changed them since; best effort. */
  private async rollback(ids: string[], before: Map<string, Held>): Promise<void> {
    if (ids.length === 0) return;
    const undo = new ClientTransaction(this.host);
    try {
      await undo.lock(...ids);
    } catch {
      await undo.abandon();
      return;
    }
    for (const id of ids) {
      const write = this.writes.get(id)!;
      const now = undo.record(id);
      const unchanged = write.mode === 'drop' ? now === undefined : now !== undefined && encodeRecord(now) === encodeRecord(write.record);
      const old = before.get(id)!;
      if (!unchanged) continue;
      if (!old.record) {
        undo.drop(id);
        continue;
      }
      // The other side may have moved on meanwhile (that is how this half's partner lost its lock): a link it no longer
      // names back is put back as free, so that no one-sided record is left that no sweep would look for.
      const restored = old.record;
      if (restored.state.kind !== 'free' && !(await undo.linked(restored))) restored.state = FREE;
      undo.put(restored, old.seq);
    }
    await undo.commit().catch(() => undefined);
  }
}
