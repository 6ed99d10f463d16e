import { beforeEach, describe, expect, it } from '@jest/globals';
import type { ClientPageQuery, ClientRecord, PairingStore } from '../../../packages/server/src/stores/pairing-store.interface.js';
import { clientRecord, uniqueIds } from '../pairing-store.fixtures.js';
import type { StoreContractScope } from './store-contract.scope.js';

/** The store contract on paging through client ids and records. */
export function describePagingContract(scope: StoreContractScope): void {
  const { connect, reserve, pair, stateOf } = scope;
  let store: PairingStore;
  // Runs after the contract's own beforeEach, which makes a fresh store for each test.
  beforeEach(() => {
    store = scope.store();
  });

  describe('listClientIds and listClientRecords (paging)', () => {
    /** Every page of a walk, each read only once the previous one came back; `between` runs between pages. */
    async function walk(query: Omit<ClientPageQuery, 'from'>, between?: (page: number) => Promise<void>): Promise<string[][]> {
      const pages: string[][] = [];
      let from: ClientPageQuery['from'];
      do {
        const page = await store.listClientIds({ ...query, ...(from ? { from } : {}) });
        expect(page.items.length).toBeLessThanOrEqual(query.limit);
        pages.push(page.items);
        from = page.next;
        if (from) await between?.(pages.length);
      } while (from);
      return pages;
    }

    it('answers an empty store with an empty page and no next', async () => {
      await expect(store.listClientIds({ limit: 10 })).resolves.toEqual({ items: [] });
      await expect(store.listClientRecords({ limit: 10, available: true })).resolves.toEqual({ items: [] });
    });

    it('pages in connection order, with next only while clients remain', async () => {
      const ids = uniqueIds(...Array.from({ length: 7 }, (_, i) => `p${i}`));
      for (const id of ids) await connect(id);
      const first = await store.listClientIds({ limit: 3 });
      expect(first.items).toEqual(ids.slice(0, 3));
      expect(first.next).toBeDefined();
      expect(await walk({ limit: 3 })).toEqual([ids.slice(0, 3), ids.slice(3, 6), ids.slice(6)]);
      // A page that ends exactly on the last client says there is nothing after it.
      const whole = await store.listClientIds({ limit: 7 });
      expect(whole).toEqual({ items: ids });
      expect((await store.listClientIds({ limit: 1000 })).items).toEqual(ids);
    });

    it('pages only the free clients with available, in connection order', async () => {
      const [a, b, c, d, e, f] = uniqueIds('a', 'b', 'c', 'd', 'e', 'f');
      for (const id of [c, a, e, b, d, f]) await connect(id!);
      await pair(a!, e!);
      await reserve(b!, d!);
      expect(await walk({ limit: 1, available: true })).toEqual([[c], [f]]);
      await store.unpair(a!);
      // Freed again, a client is paged at its own connection position, not at the end.
      expect((await walk({ limit: 2, available: true })).flat()).toEqual([c, a, e, f]);
    });

    it('returns records as copies, paged like the ids', async () => {
      const [a, b, c] = uniqueIds('a', 'b', 'c');
      const records = [await connect(a!, { sessionTokenHash: 'h' }), await connect(b!), await connect(c!)];
      await pair(a!, b!);
      const first = await store.listClientRecords({ limit: 2 });
      expect(first.items.map((record) => record.clientId)).toEqual([a, b]);
      expect(first.items[0]).toMatchObject({ ...records[0], state: { kind: 'paired', peerId: b } });
      first.items[0]!.state = { kind: 'free' };
      const second = await store.listClientRecords({ limit: 2, from: first.next! });
      expect(second).toEqual({ items: [{ ...records[2], state: { kind: 'free' } }] });
      await expect(stateOf(a!)).resolves.toMatchObject({ kind: 'paired' });
    });

    it.each([false, true])(
      'walks a list that changes between pages: no id twice, every client there throughout listed once (available: %s)',
      async (available) => {
        const ids = uniqueIds(...Array.from({ length: 60 }, (_, i) => `w${i}`));
        const records = new Map<string, ClientRecord>();
        for (const id of ids) records.set(id, await connect(id));
        // Clients the churn never touches: each must be listed exactly once.
        const steady = ids.filter((_, i) => i % 3 === 0);
        const churned = ids.filter((_, i) => i % 3 !== 0);
        let step = 0;
        const pages = await walk({ limit: 4, available }, async () => {
          // Each pause: one churned client leaves, one comes back under an id that left before (a new
          // registration, later in connection order), a new one arrives, and two churned clients pair or unpair.
          const leaving = churned[step % churned.length]!;
          const record = records.get(leaving);
          if (record) {
            await store.removeClient(leaving, record.connectionId);
            records.delete(leaving);
          }
          const back = churned[(step + 7) % churned.length]!;
          if (!records.has(back)) records.set(back, await connect(back));
          const [newcomer] = uniqueIds(`n${step}`);
          records.set(newcomer!, await connect(newcomer!));
          const [x, y] = [churned[(step * 2 + 1) % churned.length]!, churned[(step * 2 + 2) % churned.length]!];
          if (records.has(x) && records.has(y)) {
            if ((await stateOf(x))?.kind === 'paired') await store.unpair(x);
            else if ((await stateOf(x))?.kind === 'free' && (await stateOf(y))?.kind === 'free') await pair(x, y);
          }
          step++;
        });
        const listed = pages.flat();
        expect(step).toBeGreaterThan(5);
        expect(new Set(listed).size).toBe(listed.length);
        for (const id of steady) expect(listed.filter((other) => other === id)).toEqual([id]);
      },
    );

    it('leaves out clients registered after the walk started, so one that came back is not listed twice', async () => {
      const [a, b, c] = uniqueIds('a', 'b', 'c');
      const ra = await connect(a!);
      await connect(b!);
      const first = await store.listClientIds({ limit: 1 });
      expect(first.items).toEqual([a]);
      await store.removeClient(a!, ra.connectionId);
      await connect(a!);
      await connect(c!);
      const rest = await store.listClientIds({ limit: 10, from: first.next! });
      expect(rest).toEqual({ items: [b] });
      // A new walk sees them all.
      expect((await store.listClientIds({ limit: 10 })).items).toEqual([b, a, c]);
    });

    it('keeps a resumed client at its place in connection order', async () => {
      const [a, b, c] = uniqueIds('a', 'b', 'c');
      const ra = await connect(a!, { sessionTokenHash: 'ha' });
      await connect(b!);
      await connect(c!);
      await pair(a!, b!);
      await store.detachClient(a!, ra.connectionId, Date.now() + 60_000);
      await expect(store.registerClient(clientRecord(a!, { sessionTokenHash: 'ha' }), 'refuse')).resolves.toMatchObject({ ok: true });
      expect((await store.listClientIds({ limit: 10 })).items).toEqual([a, b, c]);
    });
  });
}
