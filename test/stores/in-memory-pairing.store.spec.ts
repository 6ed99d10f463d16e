import { describe, expect, it } from '@jest/globals';
import { InMemoryPairingStore } from '../../packages/server/src/stores/in-memory-pairing.store.js';
import { describePairingStoreContract } from './pairing-store.contract.js';
import { clientRecord, pairingRequest } from './pairing-store.fixtures.js';

describePairingStoreContract('InMemoryPairingStore', async () => new InMemoryPairingStore());

describe('InMemoryPairingStore.immediate: the hot path’s calls, synchronously', () => {
  it('changes the same state as the async calls, the index of free clients included', async () => {
    const store = new InMemoryPairingStore();
    const immediate = store.immediate;
    for (const id of ['A', 'B', 'C']) await store.registerClient(clientRecord(id), 'refuse');
    const request = pairingRequest('A', 'B');
    const reserved = immediate.reservePairing(request);
    expect(reserved).toMatchObject({ ok: true, source: { clientId: 'A' }, target: { clientId: 'B' } });
    expect((await store.getClient('A'))?.state).toEqual({ kind: 'asking', requestId: request.requestId, otherId: 'B' });
    expect(immediate.getClient('B')?.state).toEqual({ kind: 'asked', requestId: request.requestId, otherId: 'A' });
    expect((await store.listClientIds({ available: true, limit: 10 })).items).toEqual(['C']);
    expect(immediate.confirmPairing(request)).toMatchObject({ ok: true });
    expect((await store.getClient('B'))?.state).toMatchObject({ kind: 'paired', peerId: 'A' });
    expect(immediate.confirmPairing(request)).toEqual({ ok: false, code: 'NO_PENDING_REQUEST' });
    expect(immediate.unpair('B')).toMatchObject({ record: { clientId: 'B' }, peer: { clientId: 'A' } });
    expect(immediate.unpair('B')).toBeUndefined();
    expect((await store.listClientIds({ available: true, limit: 10 })).items).toEqual(['A', 'B', 'C']);
    const refused = pairingRequest('C', 'A');
    immediate.reservePairing(refused);
    expect(immediate.cancelPairing(refused)).toBe(true);
    expect(immediate.cancelPairing(refused)).toBe(false);
    expect(await store.counts()).toEqual({ clients: 3, pairings: 0, pendingRequests: 0 });
  });

  it('answers with the store’s own records, while the async calls still answer with copies', async () => {
    const store = new InMemoryPairingStore();
    await store.registerClient(clientRecord('A'), 'refuse');
    expect(store.immediate.getClient('A')).toBe(store.immediate.getClient('A'));
    const copy = await store.getClient('A');
    expect(copy).not.toBe(store.immediate.getClient('A'));
    expect(copy).toEqual(store.immediate.getClient('A'));
  });
});
