import { type ClientListPage, type ListClientsFilter, P2pError, P2pEvent } from 'nest-p2p-gateway-protocol';

/** What `P2pClient.clients()` walks. */
export interface ClientWalkOptions {
  /** Only clients that are neither paired nor in a pairing request. */
  available?: boolean;
  /** Clients per request; the server caps it at its `listPageSize` (default 1000). */
  pageSize?: number;
}

/** Sends `LIST_CLIENTS(filter, ack)` and resolves with the ack's arguments (rejects with a P2pError). */
export type ListClientsRequest = (filter: ListClientsFilter) => Promise<unknown[]>;

/**
 * Every clientId the server lets this client see, one page per request (protocol 2 paging: a filter with `cursor`,
 * answered `{clients, next}`), fetched only as the caller iterates. Over a walk no id comes twice, and every client
 * connected for the whole walk comes once; clients that connect during it may be left out. A page may be empty
 * when the server's discovery policy hid all of it: the walk goes on. Rejects with a P2pError (LIST_FORBIDDEN,
 * RATE_LIMITED, REQUEST_TIMEOUT, ...) at the page that failed.
 */
export async function* walkClientList(
  request: ListClientsRequest,
  options: ClientWalkOptions = {},
): AsyncGenerator<string, void, undefined> {
  let cursor: string | null = null;
  do {
    const filter: ListClientsFilter = { cursor, ...(options.available ? { available: true } : {}) };
    if (options.pageSize !== undefined) filter.limit = options.pageSize;
    const page: ClientListPage = readClientListPage(await request(filter));
    yield* page.clients;
    cursor = page.next;
  } while (cursor !== null);
}

/**
 * One page from the ack's arguments; a refusal (`{error}`) is thrown as its P2pError. A server without paging answers
 * `string[]`: that is the whole walk.
 */
export function readClientListPage([answer]: unknown[]): ClientListPage {
  if (Array.isArray(answer)) return { clients: answer as string[], next: null };
  if (typeof answer === 'object' && answer !== null) {
    const { clients, next, error } = answer as { clients?: unknown; next?: unknown; error?: unknown };
    if (error !== undefined) throw P2pError.fromPayload(error);
    if (Array.isArray(clients) && (next === null || typeof next === 'string')) return { clients: clients as string[], next };
  }
  throw new P2pError('INTERNAL_ERROR', 'LIST_CLIENTS answered a page of an unknown shape', P2pEvent.LIST_CLIENTS);
}
