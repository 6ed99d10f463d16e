import { P2pError, P2pEvent } from 'nest-p2p-gateway-protocol';
import { asksForPage, parseClientListQuery } from '../../discovery/client-list.query.js';
import { listVisibleClients } from '../../discovery/visible-clients.list.js';
import type { P2pSocket } from '../../connection/p2p-connection.state.js';
import { type AnyFunction, dataArgument, internalError, sendError, trailingAck } from './handler.replies.js';

const EVENT = P2pEvent.LIST_CLIENTS;

/**
 * `LIST_CLIENTS([filter], ack)`: one page of the clientIds the discovery policy lets this client see (or only the
 * free ones). The original answer, `ack(string[])`, carries the first page; a protocol 2+ client whose filter has a
 * `cursor` or `limit` gets `ack({clients, next})`, and its failures (a malformed page request included) as
 * `ack({error})`. Other failures: P2P_ERROR.
 */
export function onListClients(this: P2pSocket, filterArgument?: unknown): void {
  const socket = this;
  const { clientId, protocolVersion, gateway, limits } = socket.data.p2p;
  const ack = trailingAck(arguments);
  const filter = dataArgument(filterArgument);
  const query = parseClientListQuery(filter, protocolVersion, gateway.options.listPageSize);
  // A malformed page request is answered as a page too: its ack is what its client waits on.
  const paged = ack !== undefined && (query instanceof Error ? asksForPage(filter, protocolVersion) : query.paged);
  const fail = (error: P2pError) => (paged ? ack({ error: error.toPayload() }) : sendError(socket, error));
  const limited = limits?.checkListRequest();
  if (limited) return fail(limited);
  if (!ack) return sendError(socket, new P2pError('INVALID_PAYLOAD', 'LIST_CLIENTS needs an ack function', EVENT));
  if (query instanceof Error) return fail(query);
  listVisibleClients(gateway.options, gateway.engine.store, clientId, query)
    .then((page) => {
      if (page instanceof Error) fail(page);
      else answer(ack, paged, page.clients, page.next);
    })
    .catch((cause: unknown) => fail(internalError(socket, EVENT, cause)));
}

function answer(ack: AnyFunction, paged: boolean, clients: string[], next: string | null): void {
  if (paged) ack({ clients, next });
  else ack(clients);
}
