import { P2pError, P2pEvent } from 'nest-p2p-gateway-protocol';
import type { ResolvedP2pOptions } from '../options/p2p-options.resolve.js';
import type { PairingStore } from '../stores/pairing-store.interface.js';
import { encodeCursor } from './client-list.cursor.js';
import type { ClientListQuery } from './client-list.query.js';
import { visibleAmong } from './client-visibility.policy.js';

/** One page as a client sees it: the ids its discovery policy shows, and the cursor of the next page. */
export interface VisibleClientPage {
  clients: string[];
  /** The next page's cursor; null at the end of the walk. */
  next: string | null;
}

/**
 * One page of `LIST_CLIENTS` for `viewerId`: one read of at most `query.limit` clients from the store, filtered by the
 * discovery policy. A policy that hides clients can make a page shorter than the limit, even empty, with a `next`
 * all the same: the cost of a request follows the page, never the number of clients connected. LIST_FORBIDDEN when
 * discovery is `'none'` or the policy failed as a whole.
 */
export async function listVisibleClients(
  options: Pick<ResolvedP2pOptions, 'discovery' | 'discoveryTimeoutMs'>,
  store: PairingStore,
  viewerId: string,
  query: ClientListQuery,
): Promise<VisibleClientPage | P2pError> {
  const { discovery, discoveryTimeoutMs } = options;
  if (discovery.kind === 'none') return new P2pError('LIST_FORBIDDEN', undefined, P2pEvent.LIST_CLIENTS);
  const page = await store.listClientIds({ available: query.available, limit: query.limit, ...(query.from ? { from: query.from } : {}) });
  const clients = await visibleAmong(discovery, discoveryTimeoutMs, viewerId, page.items);
  if (!clients) return new P2pError('LIST_FORBIDDEN', undefined, P2pEvent.LIST_CLIENTS);
  return { clients, next: page.next ? encodeCursor(page.next) : null };
}
