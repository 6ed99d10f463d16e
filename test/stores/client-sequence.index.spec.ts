import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { ClientSequenceIndex } from '../../packages/server/src/stores/client-sequence.index.js';

/** What the index must answer, computed from a plain sorted list. */
function referencePage(entries: Map<number, string>, after: number, until: number, limit: number) {
  const inRange = [...entries.keys()].sort((x, y) => x - y).filter((seq) => seq > after && seq <= until);
  const seqs = inRange.slice(0, limit);
  return {
    ids: seqs.map((seq) => entries.get(seq)!),
    lastSeq: seqs.length > 0 ? seqs[seqs.length - 1]! : after,
    more: inRange.length > limit,
  };
}

describe('ClientSequenceIndex', () => {
  it('answers pages like a sorted list through adds and deletes across many chunks', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 1, max: 5000 })), { minLength: 1, maxLength: 3000 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 1, max: 50 })), {
          minLength: 1,
          maxLength: 20,
        }),
        (operations, reads) => {
          const index = new ClientSequenceIndex();
          const entries = new Map<number, string>();
          // Mostly appends, as registrations are, with inserts and deletes anywhere.
          let next = 0;
          for (const [add, seq] of operations) {
            if (add) {
              const at = seq % 4 === 0 ? seq : ++next * 3;
              if (!entries.has(at)) entries.set(at, `id-${at}`);
              index.add(at, `id-${at}`);
            } else {
              entries.delete(seq);
              index.delete(seq);
            }
          }
          expect(index.size).toBe(entries.size);
          for (const [after, span, limit] of reads) {
            expect(index.page(after, after + span, limit)).toEqual(referencePage(entries, after, after + span, limit));
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('splits a chunk that grows past its bound and still pages every entry in order', () => {
    const index = new ClientSequenceIndex();
    for (let seq = 2; seq <= 6000; seq += 2) index.add(seq, `e${seq}`);
    for (let seq = 1; seq <= 6000; seq += 2) index.add(seq, `o${seq}`);
    const page = index.page(0, 6000, 6000);
    expect(page.ids).toEqual(Array.from({ length: 6000 }, (_, i) => `${i % 2 ? 'e' : 'o'}${i + 1}`));
    expect(page.lastSeq).toBe(6000);
    expect(page.more).toBe(false);
    for (let seq = 1; seq <= 6000; seq++) index.delete(seq);
    expect(index.size).toBe(0);
    expect(index.page(0, 6000, 10)).toEqual({ ids: [], lastSeq: 0, more: false });
  });
});
