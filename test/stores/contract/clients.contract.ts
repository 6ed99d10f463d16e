import { beforeEach, describe, expect, it } from '@jest/globals';
import type { PairingStore } from '../../../packages/server/src/stores/pairing-store.interface.js';
import { clientRecord, uniqueIds } from '../pairing-store.fixtures.js';
import type { StoreContractScope } from './store-contract.scope.js';

/** The store contract on registering, removing and reading clients. */
export function describeClientsContract(scope: StoreContractScope): void {
  const { connect, reserve, pair, stateOf } = scope;
  let store: PairingStore;
  // Runs after the contract's own beforeEach, which makes a fresh store for each test.
  beforeEach(() => {
    store = scope.store();
  });

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
}
