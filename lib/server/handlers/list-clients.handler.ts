import { P2pError, P2pEvent } from '../../protocol/index.js';
import type { P2pSocket } from '../p2p-connection.js';
import { dataArgument, internalError, sendError, trailingAck } from './answer.js';

const EVENT = P2pEvent.LIST_CLIENTS;

/** `LIST_CLIENTS([{available}], ack)`: answers the connected clientIds, or only the free ones. */
export function onListClients(this: P2pSocket, filterArgument?: unknown): void {
  const socket = this;
  const limited = socket.data.p2p.limits?.checkListRequest();
  if (limited) return sendError(socket, limited);
  const ack = trailingAck(arguments);
  const filter = dataArgument(filterArgument);
  if (!ack) return sendError(socket, new P2pError('INVALID_PAYLOAD', 'LIST_CLIENTS needs an ack function', EVENT));
  if (filter !== undefined && filter !== null && (typeof filter !== 'object' || Array.isArray(filter))) {
    return sendError(socket, new P2pError('INVALID_PAYLOAD', 'the LIST_CLIENTS filter must be an object', EVENT));
  }
  const available = (filter as { available?: unknown } | null | undefined)?.available === true;
  socket.data.p2p.gateway.engine.store
    .listClients({ available })
    .then((clients) => ack(clients.map((client) => client.clientId)))
    .catch((cause: unknown) => sendError(socket, internalError(socket, EVENT, cause)));
}
