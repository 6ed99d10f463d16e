import { P2pError, P2pEvent } from 'nest-p2p-gateway-protocol';
import type { ClientListPosition } from '../stores/pairing-store.interface.js';
import { decodeCursor } from './client-list.cursor.js';

const EVENT = P2pEvent.LIST_CLIENTS;

/** What one `LIST_CLIENTS` asks for. */
export interface ClientListQuery {
  available: boolean;
  /** Where the walk stands; absent for the first page. */
  from?: ClientListPosition;
  /** How many clients the page examines. */
  limit: number;
  /**
   * Whether to answer `{clients, next}`: only a protocol 2+ client that asked for a page (its filter has a `cursor`
   * or a `limit` field) gets that shape; every other request gets the original `string[]` of the first page.
   */
  paged: boolean;
}

/**
 * Whether a `LIST_CLIENTS` filter asks for a page, answered `{clients, next}` or `{error}`. Protocol 1 clients are the
 * original plugin's: they get its answer, the first page, whatever else they send.
 */
export function asksForPage(filter: unknown, protocolVersion: number): boolean {
  return protocolVersion >= 2 && typeof filter === 'object' && filter !== null && ('cursor' in filter || 'limit' in filter);
}

/** Reads `LIST_CLIENTS`' optional filter; INVALID_PAYLOAD for a malformed one. */
export function parseClientListQuery(filter: unknown, protocolVersion: number, pageSize: number): ClientListQuery | P2pError {
  if (filter === undefined || filter === null) return { available: false, limit: pageSize, paged: false };
  if (typeof filter !== 'object' || Array.isArray(filter)) {
    return new P2pError('INVALID_PAYLOAD', 'the LIST_CLIENTS filter must be an object', EVENT);
  }
  const { available, cursor, limit } = filter as { available?: unknown; cursor?: unknown; limit?: unknown };
  const first = { available: available === true, limit: pageSize, paged: false };
  if (!asksForPage(filter, protocolVersion)) return first;
  let from: ClientListPosition | undefined;
  if (cursor !== undefined && cursor !== null) {
    from = typeof cursor === 'string' ? decodeCursor(cursor) : undefined;
    if (!from) return new P2pError('INVALID_PAYLOAD', 'cursor must be null or the next of a previous LIST_CLIENTS page', EVENT);
  }
  if (limit !== undefined && limit !== null && (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1)) {
    return new P2pError('INVALID_PAYLOAD', 'limit must be a whole number of at least 1', EVENT);
  }
  return {
    available: first.available,
    ...(from ? { from } : {}),
    limit: typeof limit === 'number' ? Math.min(limit, pageSize) : pageSize,
    paged: true,
  };
}
