import { InMemoryPairingStore } from '../../lib/server/stores/in-memory-pairing.store.js';
import { describePairingStoreContract } from './pairing-store.contract.js';

describePairingStoreContract('InMemoryPairingStore', async () => new InMemoryPairingStore());
