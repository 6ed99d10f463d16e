import { afterEach, beforeEach, describe, expect } from '@jest/globals';
import type { ClientRecord, PairingRequest, PairingStore } from '../../packages/server/src/stores/pairing-store.interface.js';
import { describeClientsContract } from './contract/clients.contract.js';
import { describePagingContract } from './contract/paging.contract.js';
import { describePairingsContract } from './contract/pairings.contract.js';
import { describeRequestsContract } from './contract/requests.contract.js';
import { describeResumeContract } from './contract/resume.contract.js';
import { clientRecord, pairingRequest } from './pairing-store.fixtures.js';

/**
 * The behaviour every PairingStore must have, written against the interface only. `createStore` must return an empty
 * store (a shared backend such as Redis can give each one a key prefix of its own); ids are unique per test as well.
 * The tests themselves are in `contract/`, one file per group of operations.
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

    const scope = { store: () => store, connect, reserve, pair, stateOf };
    describeClientsContract(scope);
    describePagingContract(scope);
    describeRequestsContract(scope);
    describePairingsContract(scope);
    describeResumeContract(scope);
  });
}
