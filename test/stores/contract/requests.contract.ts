import { beforeEach, describe, expect, it } from '@jest/globals';
import type { ClientRecord, PairingStore } from '../../../packages/server/src/stores/pairing-store.interface.js';
import { pairingRequest, uniqueIds } from '../pairing-store.fixtures.js';
import type { StoreContractScope } from './store-contract.scope.js';

/** The store contract on reserving, confirming and cancelling a pairing, and unpairing. */
export function describeRequestsContract(scope: StoreContractScope): void {
  const { connect, reserve, pair, stateOf } = scope;
  let store: PairingStore;
  // Runs after the contract's own beforeEach, which makes a fresh store for each test.
  beforeEach(() => {
    store = scope.store();
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
}
