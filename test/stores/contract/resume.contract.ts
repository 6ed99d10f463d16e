import { beforeEach, describe, expect, it } from '@jest/globals';
import type { ClientRecord, DetachOutcome, PairingStore } from '../../../packages/server/src/stores/pairing-store.interface.js';
import { clientRecord, uniqueIds } from '../pairing-store.fixtures.js';
import type { StoreContractScope } from './store-contract.scope.js';

/** The store contract on detaching a client and resuming it. */
export function describeResumeContract(scope: StoreContractScope): void {
  const { connect, reserve, pair, stateOf } = scope;
  let store: PairingStore;
  // Runs after the contract's own beforeEach, which makes a fresh store for each test.
  beforeEach(() => {
    store = scope.store();
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
}
