import type { ClientRecord, PairingRequest, PairingStore } from '../../../packages/server/src/stores/pairing-store.interface.js';

/** What each part of the store contract gets from the contract: the current test's store and the steps they share. */
export interface StoreContractScope {
  /** The store of the running test (a fresh one per test). */
  store(): PairingStore;
  /** Registers a free client and expects it admitted. */
  connect(clientId: string, extra?: Partial<ClientRecord>): Promise<ClientRecord>;
  /** Reserves a pairing request and expects it taken. */
  reserve(sourceId: string, targetId: string): Promise<PairingRequest>;
  /** Reserves and confirms a pairing. */
  pair(sourceId: string, targetId: string): Promise<PairingRequest>;
  /** The client's pairing state, or undefined when the store does not know it. */
  stateOf(clientId: string): Promise<ClientRecord['state'] | undefined>;
}
