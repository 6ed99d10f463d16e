import { beforeEach, describe, expect, it } from '@jest/globals';
import type { ClientRecord, PairingStore } from '../../../packages/server/src/stores/pairing-store.interface.js';
import { clientRecord, pairingRequest, uniqueIds } from '../pairing-store.fixtures.js';
import type { StoreContractScope } from './store-contract.scope.js';

/** The store contract on transports, pairing lists and counts, concurrent changes. */
export function describePairingsContract(scope: StoreContractScope): void {
  const { connect, reserve, pair, stateOf } = scope;
  let store: PairingStore;
  // Runs after the contract's own beforeEach, which makes a fresh store for each test.
  beforeEach(() => {
    store = scope.store();
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
}
