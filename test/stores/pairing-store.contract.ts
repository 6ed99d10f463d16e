import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type {
  ClientPageQuery,
  ClientRecord,
  DetachOutcome,
  PairingRequest,
  PairingStore,
} from '../../packages/server/src/stores/pairing-store.interface.js';
import { clientRecord, pairingRequest, uniqueIds } from './pairing-store.fixtures.js';

/**
 * The behaviour every PairingStore must have, written against the interface only. `createStore` must return an empty
 * store (a shared backend such as Redis can give each one a key prefix of its own); ids are unique per test as well.
 */
export function describePairingStoreContract(
  name: string,
  createStore: () => Promise<PairingStore>,
  dispose?: (store: PairingStore) => Promise<void>,
): void {
  describe(`PairingStore contract: ${name}`, () => {
    let store: PairingStore;

    beforeEach(async () => {
      store = await createStore();
    });
    afterEach(async () => {
      await dispose?.(store);
    });

    async function connect(clientId: string, extra: Partial<ClientRecord> = {}): Promise<ClientRecord> {
      const record = clientRecord(clientId, extra);
      await expect(store.registerClient(record, 'refuse')).resolves.toMatchObject({ ok: true });
      return record;
    }

    async function reserve(sourceId: string, targetId: string): Promise<PairingRequest> {
      const request = pairingRequest(sourceId, targetId);
      await expect(store.reservePairing(request)).resolves.toMatchObject({ ok: true });
      return request;
    }

    async function pair(sourceId: string, targetId: string): Promise<PairingRequest> {
      const request = await reserve(sourceId, targetId);
      await expect(store.confirmPairing(request)).resolves.toMatchObject({ ok: true });
      return request;
    }

    async function stateOf(clientId: string) {
      return (await store.getClient(clientId))?.state;
    }

    describe('registerClient', () => {
      it('adds a free client whose record reads back unchanged', async () => {
        const [a] = uniqueIds('a');
        const record = clientRecord(a!, { sessionTokenHash: 'h-1', protocolVersion: 1 });
        await expect(store.registerClient(record, 'refuse')).resolves.toEqual({ ok: true });
        await expect(store.getClient(a!)).resolves.toEqual({ ...record, state: { kind: 'free' } });
      });

      it("refuses a taken id under 'refuse' and leaves the holder in place", async () => {
        const [a] = uniqueIds('a');
        const holder = await connect(a!, { sessionTokenHash: 'holder' });
        const stranger = clientRecord(a!, { sessionTokenHash: 'stranger' });
        await expect(store.registerClient(stranger, 'refuse')).resolves.toEqual({ ok: false, code: 'CLIENT_ID_TAKEN' });
        const noToken = clientRecord(a!);
        await expect(store.registerClient(noToken, 'refuse')).resolves.toEqual({ ok: false, code: 'CLIENT_ID_TAKEN' });
        expect((await store.getClient(a!))?.connectionId).toBe(holder.connectionId);
        await expect(store.counts()).resolves.toMatchObject({ clients: 1 });
      });

      it('does not treat two missing tokens as the same session', async () => {
        const [a] = uniqueIds('a');
        const holder = await connect(a!);
        await expect(store.registerClient(clientRecord(a!), 'refuse')).resolves.toEqual({ ok: false, code: 'CLIENT_ID_TAKEN' });
        expect((await store.getClient(a!))?.connectionId).toBe(holder.connectionId);
      });

      it("lets the newcomer win under 'replace' and returns the holder as displaced", async () => {
        const [a] = uniqueIds('a');
        const holder = await connect(a!, { sessionTokenHash: 'old' });
        const newcomer = clientRecord(a!, { sessionTokenHash: 'new' });
        const outcome = await store.registerClient(newcomer, 'replace');
        expect(outcome).toEqual({
          ok: true,
          displaced: { record: { ...holder, state: { kind: 'free' } }, leftState: { kind: 'free' } },
        });
        expect((await store.getClient(a!))?.connectionId).toBe(newcomer.connectionId);
        await expect(store.counts()).resolves.toMatchObject({ clients: 1 });
      });

      it('lets the same session token resume a paired id: the newcomer keeps the pairing', async () => {
        const [a, b] = uniqueIds('a', 'b');
        const holder = await connect(a!, { sessionTokenHash: 'same' });
        await connect(b!);
        await pair(a!, b!);
        const newcomer = clientRecord(a!, { sessionTokenHash: 'same' });
        const outcome = await store.registerClient(newcomer, 'refuse');
        if (!outcome.ok || !outcome.resumed) throw new Error(`expected a resume, got ${JSON.stringify(outcome)}`);
        expect(outcome.displaced).toBeUndefined();
        expect(outcome.resumed.previousConnectionId).toBe(holder.connectionId);
        expect(outcome.resumed.record).toMatchObject({ connectionId: newcomer.connectionId, state: { kind: 'paired', peerId: b } });
        expect(outcome.resumed.peer).toMatchObject({ clientId: b, state: { kind: 'paired', peerId: a } });
        await expect(store.getClient(a!)).resolves.toMatchObject({
          connectionId: newcomer.connectionId,
          state: { kind: 'paired', peerId: b },
        });
        await expect(store.removeClient(a!, holder.connectionId)).resolves.toBeUndefined();
        await expect(store.counts()).resolves.toEqual({ clients: 2, pairings: 1, pendingRequests: 0 });
      });

      it("a resume takes the newcomer's declarations (WebRTC, the e2e pre-commitment): gained, then dropped", async () => {
        const [a, b] = uniqueIds('a', 'b');
        await connect(a!, { sessionTokenHash: 'same', protocolVersion: 3 });
        await connect(b!);
        await pair(a!, b!);
        const declaring = clientRecord(a!, { sessionTokenHash: 'same', protocolVersion: 3, webrtc: true, e2eCommit: true });
        const gained = await store.registerClient(declaring, 'refuse');
        expect(gained.ok && gained.resumed?.record).toMatchObject({ webrtc: true, e2eCommit: true });
        await expect(store.getClient(a!)).resolves.toMatchObject({ webrtc: true, e2eCommit: true });
        const dropped = await store.registerClient(clientRecord(a!, { sessionTokenHash: 'same', protocolVersion: 3 }), 'refuse');
        if (!dropped.ok || !dropped.resumed) throw new Error(`expected a resume, got ${JSON.stringify(dropped)}`);
        expect(dropped.resumed.record).not.toHaveProperty('e2eCommit');
        expect(dropped.resumed.record).not.toHaveProperty('webrtc');
        const stored = await store.getClient(a!);
        expect([stored?.webrtc, stored?.e2eCommit]).toEqual([undefined, undefined]);
      });

      it("lets policy 'replace' take over a paired id with another token, freeing the old peer", async () => {
        const [a, b] = uniqueIds('a', 'b');
        const holder = await connect(a!, { sessionTokenHash: 'mine' });
        await connect(b!);
        await pair(a!, b!);
        const newcomer = clientRecord(a!, { sessionTokenHash: 'theirs' });
        const outcome = await store.registerClient(newcomer, 'replace');
        if (!outcome.ok || !outcome.displaced) throw new Error(`expected a takeover, got ${JSON.stringify(outcome)}`);
        expect(outcome.resumed).toBeUndefined();
        expect(outcome.displaced.record.connectionId).toBe(holder.connectionId);
        expect(outcome.displaced.leftState).toMatchObject({ kind: 'paired', peerId: b });
        expect(outcome.displaced.other).toMatchObject({ clientId: b, state: { kind: 'free' } });
        await expect(store.getClient(a!)).resolves.toMatchObject({ connectionId: newcomer.connectionId, state: { kind: 'free' } });
        await expect(stateOf(b!)).resolves.toEqual({ kind: 'free' });
        await expect(store.counts()).resolves.toEqual({ clients: 2, pairings: 0, pendingRequests: 0 });
      });

      it('frees the target of an open request when its source is taken over', async () => {
        const [a, b] = uniqueIds('a', 'b');
        await connect(a!, { sessionTokenHash: 'same' });
        await connect(b!);
        const request = await reserve(a!, b!);
        const outcome = await store.registerClient(clientRecord(a!, { sessionTokenHash: 'same' }), 'refuse');
        if (!outcome.ok || !outcome.displaced) throw new Error('expected a takeover');
        expect(outcome.displaced.leftState).toEqual({ kind: 'asking', requestId: request.requestId, otherId: b });
        expect(outcome.displaced.other).toMatchObject({ clientId: b, state: { kind: 'free' } });
        await expect(store.confirmPairing(request)).resolves.toEqual({ ok: false, code: 'NO_PENDING_REQUEST' });
      });
    });

    describe('removeClient', () => {
      it('removes a free client and returns its record', async () => {
        const [a] = uniqueIds('a');
        const record = await connect(a!);
        await expect(store.removeClient(a!, record.connectionId)).resolves.toEqual({
          record: { ...record, state: { kind: 'free' } },
          leftState: { kind: 'free' },
        });
        await expect(store.getClient(a!)).resolves.toBeUndefined();
        await expect(store.counts()).resolves.toMatchObject({ clients: 0 });
      });

      it('is a no-op for a stale connectionId or an unknown id', async () => {
        const [a, b, ghost] = uniqueIds('a', 'b', 'ghost');
        const old = clientRecord(a!, { sessionTokenHash: 't' });
        await store.registerClient(old, 'refuse');
        const current = clientRecord(a!, { sessionTokenHash: 't' });
        await store.registerClient(current, 'refuse');
        await connect(b!);
        await pair(a!, b!);
        await expect(store.removeClient(a!, old.connectionId)).resolves.toBeUndefined();
        await expect(store.removeClient(ghost!, 'whatever')).resolves.toBeUndefined();
        await expect(store.getClient(a!)).resolves.toMatchObject({
          connectionId: current.connectionId,
          state: { kind: 'paired', peerId: b },
        });
        await expect(store.counts()).resolves.toEqual({ clients: 2, pairings: 1, pendingRequests: 0 });
      });

      it('frees the peer of a paired client', async () => {
        const [a, b] = uniqueIds('a', 'b');
        const ra = await connect(a!);
        await connect(b!);
        await pair(b!, a!);
        const removed = await store.removeClient(a!, ra.connectionId);
        expect(removed?.leftState).toMatchObject({ kind: 'paired', peerId: b });
        expect(removed?.other).toMatchObject({ clientId: b, state: { kind: 'free' } });
        await expect(stateOf(b!)).resolves.toEqual({ kind: 'free' });
        await expect(store.listPairings()).resolves.toEqual([]);
      });

      it('frees the source when the asked target leaves, and closes the request', async () => {
        const [a, b] = uniqueIds('a', 'b');
        await connect(a!);
        const rb = await connect(b!);
        const request = await reserve(a!, b!);
        const removed = await store.removeClient(b!, rb.connectionId);
        expect(removed?.leftState).toEqual({ kind: 'asked', requestId: request.requestId, otherId: a });
        expect(removed?.other).toMatchObject({ clientId: a, state: { kind: 'free' } });
        await expect(store.cancelPairing(request)).resolves.toBe(false);
        await expect(store.counts()).resolves.toEqual({ clients: 1, pairings: 0, pendingRequests: 0 });
      });
    });

    describe('getClient and listClients', () => {
      it('answers undefined for an unknown id', async () => {
        const [ghost] = uniqueIds('ghost');
        await expect(store.getClient(ghost!)).resolves.toBeUndefined();
      });

      it('lists clients in connection order, and only free ones with available', async () => {
        const [a, b, c, d, e] = uniqueIds('a', 'b', 'c', 'd', 'e');
        for (const id of [c, a, e, b, d]) await connect(id!);
        await pair(a!, e!);
        await reserve(b!, d!);
        expect((await store.listClients()).map((r) => r.clientId)).toEqual([c, a, e, b, d]);
        expect((await store.listClients({ available: false })).map((r) => r.clientId)).toEqual([c, a, e, b, d]);
        expect((await store.listClients({ available: true })).map((r) => r.clientId)).toEqual([c]);
      });

      it('returns copies: mutating them changes nothing in the store', async () => {
        const [a, b] = uniqueIds('a', 'b');
        const ra = await connect(a!);
        await connect(b!);
        await pair(a!, b!);
        const got = (await store.getClient(a!))!;
        got.connectionId = 'hijacked';
        (got.state as { kind: string }).kind = 'free';
        const [listed] = await store.listClients();
        listed!.clientId = 'renamed';
        listed!.state = { kind: 'free' };
        const [pairing] = await store.listPairings();
        pairing!.a.state = { kind: 'free' };
        await expect(store.getClient(a!)).resolves.toMatchObject({
          clientId: a,
          connectionId: ra.connectionId,
          state: { kind: 'paired', peerId: b },
        });
        expect((await store.listClients({ available: true })).length).toBe(0);
        await expect(store.listPairings()).resolves.toHaveLength(1);
      });

      it('keeps no reference to the record it was given', async () => {
        const [a] = uniqueIds('a');
        const record = await connect(a!);
        const connectionId = record.connectionId;
        record.connectionId = 'changed-after-register';
        record.state = { kind: 'paired', peerId: 'nobody', since: 1 };
        await expect(store.getClient(a!)).resolves.toMatchObject({ connectionId, state: { kind: 'free' } });
      });
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

    describe('reservePairing', () => {
      it('marks the source asking and the target asked under one requestId', async () => {
        const [a, b] = uniqueIds('a', 'b');
        await connect(a!);
        await connect(b!);
        const request = pairingRequest(a!, b!);
        const outcome = await store.reservePairing(request);
        expect(outcome).toMatchObject({
          ok: true,
          source: { clientId: a, state: { kind: 'asking', requestId: request.requestId, otherId: b } },
          target: { clientId: b, state: { kind: 'asked', requestId: request.requestId, otherId: a } },
        });
        await expect(stateOf(a!)).resolves.toEqual({ kind: 'asking', requestId: request.requestId, otherId: b });
        await expect(stateOf(b!)).resolves.toEqual({ kind: 'asked', requestId: request.requestId, otherId: a });
        await expect(store.counts()).resolves.toEqual({ clients: 2, pairings: 0, pendingRequests: 1 });
      });

      it('refuses with the first failing check, in the documented order', async () => {
        const [a, b, c, d, e, f, ghost, ghost2] = uniqueIds('a', 'b', 'c', 'd', 'e', 'f', 'ghost', 'ghost2');
        for (const id of [a, b, c, d, e, f]) await connect(id!);
        await pair(c!, d!);
        await pair(e!, f!);
        const refuse = (sourceId: string, targetId: string) => store.reservePairing(pairingRequest(sourceId, targetId));
        // SELF_PAIRING comes before any lookup, even for an unknown id.
        await expect(refuse(ghost!, ghost!)).resolves.toEqual({ ok: false, code: 'SELF_PAIRING' });
        await expect(refuse(a!, a!)).resolves.toEqual({ ok: false, code: 'SELF_PAIRING' });
        // NOT_CONNECTED (the source) before TARGET_OFFLINE.
        await expect(refuse(ghost!, ghost2!)).resolves.toEqual({ ok: false, code: 'NOT_CONNECTED' });
        await expect(refuse(ghost!, a!)).resolves.toEqual({ ok: false, code: 'NOT_CONNECTED' });
        // TARGET_OFFLINE before SOURCE_BUSY.
        await expect(refuse(c!, ghost!)).resolves.toEqual({ ok: false, code: 'TARGET_OFFLINE' });
        await expect(refuse(a!, ghost!)).resolves.toEqual({ ok: false, code: 'TARGET_OFFLINE' });
        // SOURCE_BUSY before TARGET_BUSY.
        await expect(refuse(c!, e!)).resolves.toEqual({ ok: false, code: 'SOURCE_BUSY' });
        await expect(refuse(c!, a!)).resolves.toEqual({ ok: false, code: 'SOURCE_BUSY' });
        await expect(refuse(a!, c!)).resolves.toEqual({ ok: false, code: 'TARGET_BUSY' });
        // None of them changed anything.
        await expect(stateOf(a!)).resolves.toEqual({ kind: 'free' });
        await expect(stateOf(b!)).resolves.toEqual({ kind: 'free' });
        await expect(store.counts()).resolves.toEqual({ clients: 6, pairings: 2, pendingRequests: 0 });
      });

      it("pairs at once a request that crosses the target's own open request to the source", async () => {
        const [a, b] = uniqueIds('a', 'b');
        await connect(a!);
        await connect(b!);
        const opened = await reserve(a!, b!);
        const crossing = pairingRequest(b!, a!);
        const outcome = await store.reservePairing(crossing);
        expect(outcome).toEqual({
          ok: true,
          source: expect.objectContaining({ clientId: b, state: { kind: 'paired', peerId: a, since: expect.any(Number) } }),
          target: expect.objectContaining({ clientId: a, state: { kind: 'paired', peerId: b, since: expect.any(Number) } }),
          crossed: opened,
        });
        const [stateA, stateB] = [await stateOf(a!), await stateOf(b!)];
        expect(stateA).toEqual({ kind: 'paired', peerId: b, since: expect.any(Number) });
        expect(stateB).toEqual({ kind: 'paired', peerId: a, since: (stateA as { since: number }).since });
        // Nothing is left open: neither request can be confirmed or cancelled now, and no pending request is counted.
        for (const request of [opened, crossing]) {
          await expect(store.confirmPairing(request)).resolves.toEqual({ ok: false, code: 'NO_PENDING_REQUEST' });
          await expect(store.cancelPairing(request)).resolves.toBe(false);
        }
        await expect(store.counts()).resolves.toEqual({ clients: 2, pairings: 1, pendingRequests: 0 });
        await expect(store.listPairings()).resolves.toEqual([expect.objectContaining({ since: (stateA as { since: number }).since })]);
        expect(await store.listClients({ available: true })).toEqual([]);
        // Once paired, either asking the other again (or the crossing request read twice) is told so, and nothing changes.
        for (const request of [pairingRequest(a!, b!), pairingRequest(b!, a!), crossing]) {
          await expect(store.reservePairing(request)).resolves.toMatchObject({ ok: true, already: true });
        }
        await expect(store.counts()).resolves.toEqual({ clients: 2, pairings: 1, pendingRequests: 0 });
        await expect(stateOf(a!)).resolves.toEqual(stateA);
        await expect(stateOf(b!)).resolves.toEqual(stateB);
      });

      it('answers `already` only for the two of a pairing: a third client is refused, asking or asked', async () => {
        const [a, b, c] = uniqueIds('a', 'b', 'c');
        for (const id of [a, b, c]) await connect(id!);
        await pair(a!, b!);
        await expect(store.reservePairing(pairingRequest(a!, c!))).resolves.toEqual({ ok: false, code: 'SOURCE_BUSY' });
        await expect(store.reservePairing(pairingRequest(c!, a!))).resolves.toEqual({ ok: false, code: 'TARGET_BUSY' });
        await expect(store.reservePairing(pairingRequest(b!, a!))).resolves.toMatchObject({
          ok: true,
          already: true,
          source: { clientId: b, state: { kind: 'paired', peerId: a } },
          target: { clientId: a, state: { kind: 'paired', peerId: b } },
        });
        await expect(stateOf(c!)).resolves.toEqual({ kind: 'free' });
      });

      it('crosses only a request from the target itself: a third client asking either side is still refused', async () => {
        const [a, b, c] = uniqueIds('a', 'b', 'c');
        for (const id of [a, b, c]) await connect(id!);
        const opened = await reserve(a!, b!);
        // The source of the open request asking its own target again is not a crossing (SOURCE_BUSY), nor is the
        // target asking a third client, nor a third client asking the target's source.
        await expect(store.reservePairing(pairingRequest(a!, b!))).resolves.toEqual({ ok: false, code: 'SOURCE_BUSY' });
        await expect(store.reservePairing(pairingRequest(b!, c!))).resolves.toEqual({ ok: false, code: 'SOURCE_BUSY' });
        await expect(store.reservePairing(pairingRequest(c!, a!))).resolves.toEqual({ ok: false, code: 'TARGET_BUSY' });
        await expect(stateOf(a!)).resolves.toEqual({ kind: 'asking', requestId: opened.requestId, otherId: b });
        await expect(stateOf(b!)).resolves.toEqual({ kind: 'asked', requestId: opened.requestId, otherId: a });
        await expect(stateOf(c!)).resolves.toEqual({ kind: 'free' });
      });

      it('counts asking and asked clients as busy', async () => {
        const [a, b, c] = uniqueIds('a', 'b', 'c');
        for (const id of [a, b, c]) await connect(id!);
        await reserve(a!, b!);
        await expect(store.reservePairing(pairingRequest(c!, a!))).resolves.toEqual({ ok: false, code: 'TARGET_BUSY' });
        await expect(store.reservePairing(pairingRequest(c!, b!))).resolves.toEqual({ ok: false, code: 'TARGET_BUSY' });
        await expect(store.reservePairing(pairingRequest(a!, c!))).resolves.toEqual({ ok: false, code: 'SOURCE_BUSY' });
        await expect(store.reservePairing(pairingRequest(b!, c!))).resolves.toEqual({ ok: false, code: 'SOURCE_BUSY' });
        await expect(stateOf(c!)).resolves.toEqual({ kind: 'free' });
      });
    });

    describe('confirmPairing', () => {
      it('turns the open request into a pairing on both sides with one since', async () => {
        const [a, b] = uniqueIds('a', 'b');
        await connect(a!);
        await connect(b!);
        const request = await reserve(a!, b!);
        const outcome = await store.confirmPairing(request);
        if (!outcome.ok) throw new Error('expected ok');
        expect(outcome.source).toMatchObject({ clientId: a, state: { kind: 'paired', peerId: b } });
        expect(outcome.target).toMatchObject({ clientId: b, state: { kind: 'paired', peerId: a } });
        const since = outcome.source.state.kind === 'paired' ? outcome.source.state.since : NaN;
        expect(Number.isFinite(since)).toBe(true);
        await expect(stateOf(a!)).resolves.toEqual({ kind: 'paired', peerId: b, since });
        await expect(stateOf(b!)).resolves.toEqual({ kind: 'paired', peerId: a, since });
        await expect(store.counts()).resolves.toEqual({ clients: 2, pairings: 1, pendingRequests: 0 });
      });

      it('refuses a wrong requestId or swapped sides and leaves the request open', async () => {
        const [a, b] = uniqueIds('a', 'b');
        await connect(a!);
        await connect(b!);
        const request = await reserve(a!, b!);
        const noPending = { ok: false, code: 'NO_PENDING_REQUEST' };
        await expect(store.confirmPairing({ ...request, requestId: 'not-it' })).resolves.toEqual(noPending);
        await expect(store.confirmPairing({ ...request, sourceId: b!, targetId: a! })).resolves.toEqual(noPending);
        await expect(stateOf(a!)).resolves.toMatchObject({ kind: 'asking', requestId: request.requestId });
        await expect(store.confirmPairing(request)).resolves.toMatchObject({ ok: true });
      });

      it('refuses a request already confirmed or already cancelled', async () => {
        const [a, b, c, d] = uniqueIds('a', 'b', 'c', 'd');
        for (const id of [a, b, c, d]) await connect(id!);
        const confirmed = await pair(a!, b!);
        await expect(store.confirmPairing(confirmed)).resolves.toEqual({ ok: false, code: 'NO_PENDING_REQUEST' });
        const cancelled = await reserve(c!, d!);
        await expect(store.cancelPairing(cancelled)).resolves.toBe(true);
        await expect(store.confirmPairing(cancelled)).resolves.toEqual({ ok: false, code: 'NO_PENDING_REQUEST' });
        await expect(stateOf(c!)).resolves.toEqual({ kind: 'free' });
        await expect(store.counts()).resolves.toEqual({ clients: 4, pairings: 1, pendingRequests: 0 });
      });

      it('refuses when either client has gone', async () => {
        const [a, b, c, d] = uniqueIds('a', 'b', 'c', 'd');
        const records = new Map<string, ClientRecord>();
        for (const id of [a, b, c, d]) records.set(id!, await connect(id!));
        const targetGone = await reserve(a!, b!);
        await store.removeClient(b!, records.get(b!)!.connectionId);
        await expect(store.confirmPairing(targetGone)).resolves.toEqual({ ok: false, code: 'NO_PENDING_REQUEST' });
        const sourceGone = await reserve(c!, d!);
        await store.removeClient(c!, records.get(c!)!.connectionId);
        await expect(store.confirmPairing(sourceGone)).resolves.toEqual({ ok: false, code: 'NO_PENDING_REQUEST' });
        await expect(store.listPairings()).resolves.toEqual([]);
      });

      it('does not revive a request whose client came back under the same id', async () => {
        const [a, b] = uniqueIds('a', 'b');
        await connect(a!);
        const rb = await connect(b!);
        const request = await reserve(a!, b!);
        await store.removeClient(b!, rb.connectionId);
        await connect(b!);
        await expect(store.confirmPairing(request)).resolves.toEqual({ ok: false, code: 'NO_PENDING_REQUEST' });
        await expect(stateOf(b!)).resolves.toEqual({ kind: 'free' });
      });
    });

    describe('cancelPairing', () => {
      it('closes the open request and frees both', async () => {
        const [a, b] = uniqueIds('a', 'b');
        await connect(a!);
        await connect(b!);
        const request = await reserve(a!, b!);
        await expect(store.cancelPairing(request)).resolves.toBe(true);
        await expect(stateOf(a!)).resolves.toEqual({ kind: 'free' });
        await expect(stateOf(b!)).resolves.toEqual({ kind: 'free' });
        await expect(store.counts()).resolves.toEqual({ clients: 2, pairings: 0, pendingRequests: 0 });
        await expect(store.cancelPairing(request)).resolves.toBe(false);
      });

      it('answers false for a wrong requestId, a confirmed request, or a gone client, changing nothing', async () => {
        const [a, b, c, d] = uniqueIds('a', 'b', 'c', 'd');
        for (const id of [a, b, c]) await connect(id!);
        const rd = await connect(d!);
        const open = await reserve(a!, b!);
        await expect(store.cancelPairing({ ...open, requestId: 'not-it' })).resolves.toBe(false);
        await expect(stateOf(b!)).resolves.toMatchObject({ kind: 'asked', requestId: open.requestId });
        await expect(store.confirmPairing(open)).resolves.toMatchObject({ ok: true });
        await expect(store.cancelPairing(open)).resolves.toBe(false);
        await expect(stateOf(a!)).resolves.toMatchObject({ kind: 'paired', peerId: b });
        const gone = await reserve(c!, d!);
        await store.removeClient(d!, rd.connectionId);
        await expect(store.cancelPairing(gone)).resolves.toBe(false);
        await expect(stateOf(c!)).resolves.toEqual({ kind: 'free' });
      });
    });

    describe('unpair', () => {
      it('ends a pairing from either side and returns both records freed', async () => {
        const [a, b, c, d] = uniqueIds('a', 'b', 'c', 'd');
        for (const id of [a, b, c, d]) await connect(id!);
        await pair(a!, b!);
        await pair(c!, d!);
        const bySource = await store.unpair(a!);
        expect(bySource).toMatchObject({
          record: { clientId: a, state: { kind: 'free' } },
          peer: { clientId: b, state: { kind: 'free' } },
        });
        const byTarget = await store.unpair(d!);
        expect(byTarget).toMatchObject({
          record: { clientId: d, state: { kind: 'free' } },
          peer: { clientId: c, state: { kind: 'free' } },
        });
        for (const id of [a, b, c, d]) await expect(stateOf(id!)).resolves.toEqual({ kind: 'free' });
        await expect(store.counts()).resolves.toEqual({ clients: 4, pairings: 0, pendingRequests: 0 });
      });

      it('answers undefined for a free, asking, asked or unknown client and changes nothing', async () => {
        const [a, b, c, ghost] = uniqueIds('a', 'b', 'c', 'ghost');
        for (const id of [a, b, c]) await connect(id!);
        const request = await reserve(a!, b!);
        await expect(store.unpair(a!)).resolves.toBeUndefined();
        await expect(store.unpair(b!)).resolves.toBeUndefined();
        await expect(store.unpair(c!)).resolves.toBeUndefined();
        await expect(store.unpair(ghost!)).resolves.toBeUndefined();
        await expect(store.confirmPairing(request)).resolves.toMatchObject({ ok: true });
        await expect(store.unpair(a!)).resolves.toBeDefined();
        await expect(store.unpair(a!)).resolves.toBeUndefined();
      });
    });

    describe('setTransport', () => {
      it("records a paired client's transport in its paired state, per side, until the pairing ends", async () => {
        const [a, b] = uniqueIds('a', 'b');
        const recordA = await connect(a!);
        const recordB = await connect(b!);
        await pair(a!, b!);
        await expect(store.setTransport(a!, recordA.connectionId, 'direct')).resolves.toBe(true);
        await expect(stateOf(a!)).resolves.toMatchObject({ kind: 'paired', peerId: b, transport: 'direct' });
        expect((await stateOf(b!)) as { transport?: string }).not.toHaveProperty('transport');
        const [pairing] = await store.listPairings();
        const sides = [pairing!.a, pairing!.b].map((record) => [record.clientId, (record.state as { transport?: string }).transport]);
        expect(new Map(sides as [string, string | undefined][])).toEqual(
          new Map([
            [a!, 'direct'],
            [b!, undefined],
          ]),
        );
        await expect(store.setTransport(b!, recordB.connectionId, 'direct')).resolves.toBe(true);
        await expect(store.setTransport(a!, recordA.connectionId, 'relay')).resolves.toBe(true);
        await expect(stateOf(a!)).resolves.toMatchObject({ kind: 'paired', transport: 'relay' });
        await expect(stateOf(b!)).resolves.toMatchObject({ kind: 'paired', transport: 'direct' });
        await store.unpair(a!);
        await pair(a!, b!);
        expect((await stateOf(a!)) as { transport?: string }).not.toHaveProperty('transport');
        expect((await stateOf(b!)) as { transport?: string }).not.toHaveProperty('transport');
      });

      it('answers false and changes nothing for a free client, a stale connectionId or an unknown id', async () => {
        const [a, b, c] = uniqueIds('a', 'b', 'c');
        const recordA = await connect(a!);
        await connect(b!);
        const recordC = await connect(c!);
        await expect(store.setTransport(c!, recordC.connectionId, 'direct')).resolves.toBe(false);
        await pair(a!, b!);
        await expect(store.setTransport(a!, 'stale-connection', 'direct')).resolves.toBe(false);
        await expect(store.setTransport('nobody-' + a!, recordA.connectionId, 'direct')).resolves.toBe(false);
        await expect(store.getClient(c!)).resolves.toMatchObject({ state: { kind: 'free' } });
        expect((await stateOf(a!)) as { transport?: string }).not.toHaveProperty('transport');
      });
    });

    describe('listPairings and counts', () => {
      it('lists each pairing once, with both records and its since', async () => {
        const [a, b, c, d, e, f] = uniqueIds('a', 'b', 'c', 'd', 'e', 'f');
        for (const id of [a, b, c, d, e, f]) await connect(id!);
        await pair(a!, b!);
        await pair(d!, c!);
        await reserve(e!, f!);
        const pairings = await store.listPairings();
        expect(pairings).toHaveLength(2);
        const sets = pairings.map((p) => [p.a.clientId, p.b.clientId].sort());
        expect(sets.sort()).toEqual(
          [
            [a, b],
            [c, d],
          ]
            .map((s) => s.sort())
            .sort(),
        );
        for (const { a: first, b: second, since } of pairings) {
          expect(first.state).toEqual({ kind: 'paired', peerId: second.clientId, since });
          expect(second.state).toEqual({ kind: 'paired', peerId: first.clientId, since });
        }
      });

      it('counts clients, pairings and open requests through a lifecycle', async () => {
        const [a, b, c, d, e] = uniqueIds('a', 'b', 'c', 'd', 'e');
        await expect(store.counts()).resolves.toEqual({ clients: 0, pairings: 0, pendingRequests: 0 });
        const records = new Map<string, ClientRecord>();
        for (const id of [a, b, c, d, e]) records.set(id!, await connect(id!));
        await pair(a!, b!);
        const open = await reserve(c!, d!);
        await expect(store.counts()).resolves.toEqual({ clients: 5, pairings: 1, pendingRequests: 1 });
        await store.confirmPairing(open);
        await expect(store.counts()).resolves.toEqual({ clients: 5, pairings: 2, pendingRequests: 0 });
        await store.removeClient(a!, records.get(a!)!.connectionId);
        await expect(store.counts()).resolves.toEqual({ clients: 4, pairings: 1, pendingRequests: 0 });
      });
    });

    describe('concurrency', () => {
      it('gives exactly one of 50 concurrent reservations for one target', async () => {
        const [target, ...sources] = uniqueIds('target', ...Array.from({ length: 50 }, (_, i) => `s${i}`));
        await connect(target!);
        await Promise.all(sources.map((id) => connect(id)));
        const outcomes = await Promise.all(sources.map((id) => store.reservePairing(pairingRequest(id, target!))));
        const winners = outcomes.filter((o) => o.ok);
        expect(winners).toHaveLength(1);
        expect(outcomes.filter((o) => !o.ok && o.code === 'TARGET_BUSY')).toHaveLength(49);
        const winner = winners[0]!.ok ? winners[0]!.source.clientId : undefined;
        await expect(stateOf(target!)).resolves.toMatchObject({ kind: 'asked', otherId: winner });
        await expect(store.counts()).resolves.toEqual({ clients: 51, pairings: 0, pendingRequests: 1 });
        expect(await store.listClients({ available: true })).toHaveLength(49);
      });

      it('lets exactly one of a concurrent confirm and cancel of one request win', async () => {
        for (let round = 0; round < 20; round++) {
          const [a, b] = uniqueIds(`a${round}`, `b${round}`);
          await connect(a!);
          await connect(b!);
          const request = await reserve(a!, b!);
          const [confirmed, cancelled] =
            round % 2 === 0
              ? await Promise.all([store.confirmPairing(request), store.cancelPairing(request)])
              : await Promise.all([store.cancelPairing(request), store.confirmPairing(request)]).then(([x, y]) => [y, x] as const);
          expect(confirmed.ok !== cancelled).toBe(true);
          const expected = confirmed.ok ? { kind: 'paired', peerId: b } : { kind: 'free' };
          await expect(stateOf(a!)).resolves.toMatchObject(expected);
          await expect(stateOf(b!)).resolves.toMatchObject(confirmed.ok ? { kind: 'paired', peerId: a } : { kind: 'free' });
        }
        await expect(store.counts()).resolves.toMatchObject({ clients: 40, pendingRequests: 0 });
      });

      it('pairs two clients asking each other at once: one request opens, the other crosses it', async () => {
        for (let round = 0; round < 20; round++) {
          const [a, b] = uniqueIds(`a${round}`, `b${round}`);
          await connect(a!);
          await connect(b!);
          const [ab, ba] = [pairingRequest(a!, b!), pairingRequest(b!, a!)];
          const outcomes = await Promise.all([store.reservePairing(ab), store.reservePairing(ba)]);
          expect(outcomes.map((outcome) => outcome.ok)).toEqual([true, true]);
          // Exactly one crossed, and what it names is the other request, the one that opened.
          const crossing = outcomes.filter((outcome) => outcome.ok && outcome.crossed);
          expect(crossing).toHaveLength(1);
          const opened = crossing[0] === outcomes[0] ? ba : ab;
          expect(crossing[0]).toMatchObject({ crossed: opened });
          await expect(stateOf(a!)).resolves.toMatchObject({ kind: 'paired', peerId: b });
          await expect(stateOf(b!)).resolves.toMatchObject({ kind: 'paired', peerId: a });
          await expect(store.cancelPairing(opened)).resolves.toBe(false);
        }
        await expect(store.counts()).resolves.toEqual({ clients: 40, pairings: 20, pendingRequests: 0 });
      });

      it('admits exactly one of concurrent registrations of one id under refuse', async () => {
        const [a] = uniqueIds('a');
        const records = Array.from({ length: 10 }, (_, i) => clientRecord(a!, { sessionTokenHash: `t${i}` }));
        const outcomes = await Promise.all(records.map((r) => store.registerClient(r, 'refuse')));
        const admitted = outcomes.flatMap((o, i) => (o.ok ? [records[i]!] : []));
        expect(admitted).toHaveLength(1);
        expect(outcomes.filter((o) => !o.ok && o.code === 'CLIENT_ID_TAKEN')).toHaveLength(9);
        expect((await store.getClient(a!))?.connectionId).toBe(admitted[0]!.connectionId);
      });
    });

    describe('detachClient / resume', () => {
      // In the future, so a store that expires held records by it keeps them for the whole test.
      const until = () => Date.now() + 60_000;

      /** The outcome of a detach that held the record; throws if the store removed it instead. */
      function held(outcome: DetachOutcome | undefined): { detached: ClientRecord; peer?: ClientRecord } {
        if (!outcome?.detached) throw new Error(`expected the record to be held, got ${JSON.stringify(outcome)}`);
        return outcome;
      }

      async function pairWithToken(): Promise<{ a: string; b: string; ra: ClientRecord; rb: ClientRecord }> {
        const [a, b] = uniqueIds('a', 'b');
        const ra = await connect(a!, { sessionTokenHash: 'token-a' });
        const rb = await connect(b!, { sessionTokenHash: 'token-b' });
        await pair(a!, b!);
        return { a: a!, b: b!, ra, rb };
      }

      it('holds a paired client with a session: record and pairing kept, marked detached; the peer untouched', async () => {
        const { a, b, ra, rb } = await pairWithToken();
        const deadline = until();
        const outcome = held(await store.detachClient(a, ra.connectionId, deadline));
        expect(outcome.detached).toMatchObject({
          clientId: a,
          connectionId: ra.connectionId,
          detachedUntil: deadline,
          state: { kind: 'paired', peerId: b },
        });
        expect(outcome.peer).toMatchObject({ clientId: b, connectionId: rb.connectionId, state: { kind: 'paired', peerId: a } });
        expect(outcome.peer?.detachedUntil).toBeUndefined();
        await expect(store.getClient(a)).resolves.toMatchObject({ detachedUntil: deadline, state: { kind: 'paired', peerId: b } });
        await expect(stateOf(b)).resolves.toMatchObject({ kind: 'paired', peerId: a });
        await expect(store.counts()).resolves.toEqual({ clients: 2, pairings: 1, pendingRequests: 0 });
        await expect(store.listPairings()).resolves.toHaveLength(1);
        await expect(store.listClients({ available: true })).resolves.toEqual([]);
      });

      it('removes, as removeClient does, a client it cannot hold: paired without a session, free, asking', async () => {
        const [a, b, c, d, e] = uniqueIds('a', 'b', 'c', 'd', 'e');
        const ra = await connect(a!);
        await connect(b!);
        await pair(a!, b!);
        const unheld = await store.detachClient(a!, ra.connectionId, until());
        expect(unheld?.detached).toBeUndefined();
        expect(unheld?.removed?.leftState).toMatchObject({ kind: 'paired', peerId: b });
        expect(unheld?.removed?.other).toMatchObject({ clientId: b, state: { kind: 'free' } });
        await expect(store.getClient(a!)).resolves.toBeUndefined();

        const rc = await connect(c!, { sessionTokenHash: 'token-c' });
        await expect(store.detachClient(c!, rc.connectionId, until())).resolves.toMatchObject({ removed: { leftState: { kind: 'free' } } });
        await expect(store.getClient(c!)).resolves.toBeUndefined();

        const rd = await connect(d!, { sessionTokenHash: 'token-d' });
        await connect(e!);
        const request = await reserve(d!, e!);
        const asking = await store.detachClient(d!, rd.connectionId, until());
        expect(asking?.removed?.leftState).toMatchObject({ kind: 'asking', otherId: e });
        await expect(stateOf(e!)).resolves.toEqual({ kind: 'free' });
        await expect(store.cancelPairing(request)).resolves.toBe(false);
        await expect(store.counts()).resolves.toEqual({ clients: 2, pairings: 0, pendingRequests: 0 });
      });

      it('is a no-op for a stale connectionId or an unknown id', async () => {
        const { a, b } = await pairWithToken();
        const [ghost] = uniqueIds('ghost');
        await expect(store.detachClient(a, 'not-its-connection', until())).resolves.toBeUndefined();
        await expect(store.detachClient(ghost!, 'whatever', until())).resolves.toBeUndefined();
        const record = await store.getClient(a);
        expect(record?.detachedUntil).toBeUndefined();
        expect(record?.state).toMatchObject({ kind: 'paired', peerId: b });
      });

      it('resumes a held record for the same session token: pairing kept, detachedUntil cleared, old connection named', async () => {
        const { a, b, ra, rb } = await pairWithToken();
        await store.detachClient(a, ra.connectionId, until());
        const newcomer = clientRecord(a, { sessionTokenHash: 'token-a' });
        const outcome = await store.registerClient(newcomer, 'refuse');
        if (!outcome.ok || !outcome.resumed) throw new Error(`expected a resume, got ${JSON.stringify(outcome)}`);
        expect(outcome.displaced).toBeUndefined();
        expect(outcome.resumed.previousConnectionId).toBe(ra.connectionId);
        expect(outcome.resumed.record).toMatchObject({ connectionId: newcomer.connectionId, state: { kind: 'paired', peerId: b } });
        expect(outcome.resumed.record.detachedUntil).toBeUndefined();
        expect(outcome.resumed.peer).toMatchObject({ clientId: b, connectionId: rb.connectionId, state: { kind: 'paired', peerId: a } });
        const record = await store.getClient(a);
        expect(record).toMatchObject({ connectionId: newcomer.connectionId, state: { kind: 'paired', peerId: b } });
        expect(record?.detachedUntil).toBeUndefined();
        // The dropped connection has no say any more: its grace running out changes nothing.
        await expect(store.removeClient(a, ra.connectionId)).resolves.toBeUndefined();
        await expect(store.detachClient(a, ra.connectionId, until())).resolves.toBeUndefined();
        await expect(store.counts()).resolves.toEqual({ clients: 2, pairings: 1, pendingRequests: 0 });
      });

      it("turns away another token or none while the record is held; 'replace' displaces it and frees the peer", async () => {
        const { a, b, ra } = await pairWithToken();
        await store.detachClient(a, ra.connectionId, until());
        await expect(store.registerClient(clientRecord(a, { sessionTokenHash: 'stranger' }), 'refuse')).resolves.toEqual({
          ok: false,
          code: 'CLIENT_ID_TAKEN',
        });
        await expect(store.registerClient(clientRecord(a), 'refuse')).resolves.toEqual({ ok: false, code: 'CLIENT_ID_TAKEN' });
        await expect(stateOf(a)).resolves.toMatchObject({ kind: 'paired', peerId: b });

        const newcomer = clientRecord(a, { sessionTokenHash: 'stranger' });
        const outcome = await store.registerClient(newcomer, 'replace');
        if (!outcome.ok || !outcome.displaced) throw new Error(`expected a takeover, got ${JSON.stringify(outcome)}`);
        expect(outcome.resumed).toBeUndefined();
        expect(outcome.displaced.record).toMatchObject({ connectionId: ra.connectionId });
        expect(outcome.displaced.other).toMatchObject({ clientId: b, state: { kind: 'free' } });
        const record = await store.getClient(a);
        expect(record).toMatchObject({ connectionId: newcomer.connectionId, state: { kind: 'free' } });
        expect(record?.detachedUntil).toBeUndefined();
      });

      it('ends the hold when the grace runs out (removeClient of the dropped connection): the peer is freed', async () => {
        const { a, b, ra } = await pairWithToken();
        await store.detachClient(a, ra.connectionId, until());
        const removed = await store.removeClient(a, ra.connectionId);
        expect(removed?.leftState).toMatchObject({ kind: 'paired', peerId: b });
        expect(removed?.other).toMatchObject({ clientId: b, state: { kind: 'free' } });
        await expect(store.getClient(a)).resolves.toBeUndefined();
        await expect(store.counts()).resolves.toEqual({ clients: 1, pairings: 0, pendingRequests: 0 });
      });

      it('says when the other side is held too: detaching both, resuming next to a held peer, unpairing', async () => {
        const { a, b, ra, rb } = await pairWithToken();
        const untilA = until();
        const untilB = untilA + 1000;
        await store.detachClient(a, ra.connectionId, untilA);
        const second = held(await store.detachClient(b, rb.connectionId, untilB));
        expect(second.detached).toMatchObject({ clientId: b, detachedUntil: untilB });
        expect(second.peer).toMatchObject({ clientId: a, detachedUntil: untilA });

        const outcome = await store.registerClient(clientRecord(a, { sessionTokenHash: 'token-a' }), 'refuse');
        if (!outcome.ok || !outcome.resumed) throw new Error(`expected a resume, got ${JSON.stringify(outcome)}`);
        expect(outcome.resumed.peer).toMatchObject({ clientId: b, detachedUntil: untilB, state: { kind: 'paired', peerId: a } });

        const ended = await store.unpair(a);
        expect(ended?.record.detachedUntil).toBeUndefined();
        expect(ended?.peer).toMatchObject({ clientId: b, detachedUntil: untilB, state: { kind: 'free' } });
      });

      it('names a held peer freed by its partner leaving; that session comes back free, not resumed', async () => {
        const { a, b, ra, rb } = await pairWithToken();
        const deadline = until();
        await store.detachClient(a, ra.connectionId, deadline);
        const removed = await store.removeClient(b, rb.connectionId);
        expect(removed?.other).toMatchObject({ clientId: a, detachedUntil: deadline, state: { kind: 'free' } });

        const newcomer = clientRecord(a, { sessionTokenHash: 'token-a' });
        const outcome = await store.registerClient(newcomer, 'refuse');
        expect(outcome).toMatchObject({ ok: true });
        if (outcome.ok) expect(outcome.resumed).toBeUndefined();
        const record = await store.getClient(a);
        expect(record).toMatchObject({ connectionId: newcomer.connectionId, state: { kind: 'free' } });
        expect(record?.detachedUntil).toBeUndefined();
      });
    });
  });
}
