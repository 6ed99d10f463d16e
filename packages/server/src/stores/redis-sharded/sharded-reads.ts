import type { ClientPage, ClientPageQuery, ClientRecord, Pairing, StoreCounts } from '../pairing-store.interface.js';
import { parseRecord } from '../redis/record.codec.js';
import { namesBack } from './client-link.rules.js';
import type { ShardedScript } from './sharded.scripts.js';

/** Runs a read script on every partition (in parallel) and returns the replies in partition order. */
export type OnEveryPartition = (script: ShardedScript, ...args: string[]) => Promise<unknown[]>;

interface Entry {
  id: string;
  seq: number;
  raw?: string;
}

/**
 * One page of the walk in connection order, merged from the partitions: each partition returns up to `limit` entries
 * after `after` (up to `until`), ordered by sequence number, and the page is the first `limit` of their merge. The
 * next page starts after the last one taken, so nothing is skipped or listed twice. Cost: partitions × limit.
 */
export async function readPage(
  everyPartition: OnEveryPartition,
  currentSeq: () => Promise<number>,
  { available, from, limit }: ClientPageQuery,
  records: boolean,
): Promise<ClientPage<Entry>> {
  const until = from ? from.until : await currentSeq();
  const after = from ? from.after : 0;
  const replies = (await everyPartition(
    'page',
    available ? '1' : '0',
    String(after),
    String(until),
    String(limit),
    records ? '1' : '0',
  )) as Array<Array<string | number>>;
  let more = false;
  const entries: Entry[] = [];
  for (const reply of replies) {
    if (Number(reply[0]) === 1) more = true;
    const count = records ? (reply.length - 1) / 3 : (reply.length - 1) / 2;
    for (let i = 0; i < count; i++) {
      const entry: Entry = { id: String(reply[1 + 2 * i]), seq: Number(reply[2 + 2 * i]) };
      if (records) entry.raw = String(reply[1 + 2 * count + i]);
      entries.push(entry);
    }
  }
  entries.sort((a, b) => a.seq - b.seq);
  if (entries.length > limit) more = true;
  const items = entries.slice(0, limit).filter((entry) => entry.raw !== '');
  const taken = entries.slice(0, limit);
  if (!more || taken.length === 0) return { items };
  return { items, next: { after: taken[taken.length - 1]!.seq, until } };
}

export async function readAll(everyPartition: OnEveryPartition): Promise<ClientRecord[]> {
  const replies = (await everyPartition('list')) as string[][];
  const entries: Array<{ seq: number; raw: string }> = [];
  for (const reply of replies) for (let i = 0; i < reply.length; i += 2) entries.push({ seq: Number(reply[i]), raw: reply[i + 1]! });
  return entries.sort((a, b) => a.seq - b.seq).map((entry) => parseRecord(entry.raw));
}

/** Each pairing whose two records name each other (a one-sided record left by an abandoned operation is not one). */
export async function readPairings(everyPartition: OnEveryPartition): Promise<Pairing[]> {
  const paired = ((await everyPartition('paired')) as string[][]).flat().map(parseRecord);
  const byId = new Map(paired.map((record) => [record.clientId, record]));
  const pairings: Pairing[] = [];
  for (const a of paired) {
    if (a.state.kind !== 'paired' || a.clientId > a.state.peerId) continue;
    const b = byId.get(a.state.peerId);
    if (b && namesBack(a, b)) pairings.push({ a, b, since: a.state.since });
  }
  return pairings;
}

/** Sums of the partitions' counts; each partition is read at one instant, not all at the same one. */
export async function readCounts(everyPartition: OnEveryPartition): Promise<StoreCounts> {
  const replies = (await everyPartition('counts')) as number[][];
  const sum = (index: number): number => replies.reduce((total, reply) => total + Number(reply[index]), 0);
  return { clients: sum(0), pairings: Math.floor(sum(1) / 2), pendingRequests: sum(2) };
}
