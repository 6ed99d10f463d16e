/**
 * Entries per chunk before it splits in two: keeps inserts and deletes to a short array copy. Pairing churn moves two
 * clients out of the index of free ones and back per pair + unpair: with chunks of up to 1,024 entries each move
 * shifted hundreds of them (about 1% of a cycle's instructions at 128 clients); a page still spans a few chunks.
 */
const MAX_CHUNK = 64;

interface Chunk {
  seqs: number[];
  ids: string[];
}

/** One page read from the index: at most `limit` ids, and whether more follow within the bound. */
export interface SequencePage {
  ids: string[];
  /** The sequence number of the last id read (`after` when none was). */
  lastSeq: number;
  more: boolean;
}

/**
 * ClientIds ordered by their connection sequence number, for paging: a sorted list cut into chunks, so adding or
 * removing one entry copies at most one chunk, and reading a page costs a binary search plus the page itself,
 * whatever the number of entries.
 */
export class ClientSequenceIndex {
  private readonly chunks: Chunk[] = [];
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Adds `id` at `seq`; nothing changes when `seq` is in already. */
  add(seq: number, id: string): void {
    const last = this.chunks[this.chunks.length - 1];
    if (!last || last.seqs[last.seqs.length - 1]! < seq) {
      // Registrations take increasing numbers: the common case appends.
      if (!last || last.seqs.length >= MAX_CHUNK) this.chunks.push({ seqs: [seq], ids: [id] });
      else {
        last.seqs.push(seq);
        last.ids.push(id);
      }
      this.count++;
      return;
    }
    const chunkIndex = this.chunkFor(seq);
    const chunk = this.chunks[chunkIndex]!;
    const at = lowerBound(chunk.seqs, seq);
    if (chunk.seqs[at] === seq) return;
    insertAt(chunk.seqs, at, seq);
    insertAt(chunk.ids, at, id);
    this.count++;
    if (chunk.seqs.length > MAX_CHUNK) {
      const half = chunk.seqs.length >> 1;
      this.chunks.splice(chunkIndex + 1, 0, { seqs: chunk.seqs.splice(half), ids: chunk.ids.splice(half) });
    }
  }

  /** Removes the entry at `seq`, if any. */
  delete(seq: number): void {
    if (this.chunks.length === 0) return;
    const chunkIndex = this.chunkFor(seq);
    const chunk = this.chunks[chunkIndex]!;
    const at = lowerBound(chunk.seqs, seq);
    if (chunk.seqs[at] !== seq) return;
    removeAt(chunk.seqs, at);
    removeAt(chunk.ids, at);
    this.count--;
    if (chunk.seqs.length === 0) this.chunks.splice(chunkIndex, 1);
  }

  /** Up to `limit` ids of the entries with `after < seq <= until`, in order. */
  page(after: number, until: number, limit: number): SequencePage {
    let ids: string[] = [];
    let lastSeq = after;
    if (this.chunks.length === 0) return { ids, lastSeq, more: false };
    // after + 1: sequence numbers are whole numbers, so the first one above `after` is at least after + 1.
    let chunkIndex = this.chunkFor(after + 1);
    let at = lowerBound(this.chunks[chunkIndex]!.seqs, after + 1);
    for (; chunkIndex < this.chunks.length; chunkIndex++, at = 0) {
      const { seqs, ids: chunkIds } = this.chunks[chunkIndex]!;
      if (at >= seqs.length) continue;
      if (ids.length === limit) return { ids, lastSeq, more: seqs[at]! <= until };
      // Whole runs of a chunk at a time: the end of what `until` allows here, then as much of it as the page takes.
      const end = seqs[seqs.length - 1]! <= until ? seqs.length : lowerBound(seqs, until + 1);
      const take = Math.min(end - at, limit - ids.length);
      if (take > 0) {
        // A slice is one copy of the run; a page spans a few chunks.
        const run = chunkIds.slice(at, at + take);
        ids = ids.length === 0 ? run : ids.concat(run);
        lastSeq = seqs[at + take - 1]!;
      }
      if (at + take < end) return { ids, lastSeq, more: true };
      if (end < seqs.length) return { ids, lastSeq, more: false };
    }
    return { ids, lastSeq, more: false };
  }

  /** The chunk that holds `seq`, or would: the last one whose first entry is at most `seq` (the first chunk if none). */
  private chunkFor(seq: number): number {
    let low = 0;
    let high = this.chunks.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (this.chunks[middle]!.seqs[0]! <= seq) low = middle;
      else high = middle - 1;
    }
    return low;
  }
}

/**
 * `values.splice(at, 0, value)` without the array of removed entries splice returns: pairing churn moves clients in
 * and out of the index of free ones on every change, and those empty arrays were garbage on the hot path.
 */
function insertAt<T>(values: T[], at: number, value: T): void {
  let i = values.length;
  values.push(value);
  for (; i > at; i--) values[i] = values[i - 1]!;
  values[at] = value;
}

/** `values.splice(at, 1)` without the returned array (see insertAt). */
function removeAt<T>(values: T[], at: number): void {
  const last = values.length - 1;
  for (let i = at; i < last; i++) values[i] = values[i + 1]!;
  values.pop();
}

/** The first index whose value is at least `value`. */
function lowerBound(values: number[], value: number): number {
  let low = 0;
  let high = values.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (values[middle]! < value) low = middle + 1;
    else high = middle;
  }
  return low;
}
