import { InMemoryPairingStore } from '../../packages/server/src/stores/in-memory-pairing.store.js';
import { describePairingStoreContract } from './pairing-store.contract.js';

describePairingStoreContract('InMemoryPairingStore', async () => new InMemoryPairingStore());
