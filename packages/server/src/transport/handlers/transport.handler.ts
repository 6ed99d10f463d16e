import { P2pError, P2pEvent } from 'nest-p2p-gateway-protocol';
import type { P2pSocket } from '../../connection/p2p-connection.state.js';
import { dataArgument, internalError, openProtocol3Request } from './handler.replies.js';

const EVENT = P2pEvent.TRANSPORT;

/**
 * `P2P_TRANSPORT({transport}, [ack])` (protocol 3, paired): the client reports the path its traffic takes now,
 * `'relay'` or `'direct'`. Recorded in the store (so `PairingService` and the control center show it) and streamed as a
 * `transport` lifecycle event. Error-first ack: `ack(null)` or `ack(error)` (NOT_PAIRED, INVALID_PAYLOAD, ...).
 */
export function onTransportReport(this: P2pSocket, payloadArgument: unknown): void {
  const socket = this;
  const request = openProtocol3Request(socket, arguments, EVENT, EVENT);
  if (!request) return;
  const { answer, fail } = request;
  const conn = socket.data.p2p;
  const payload = dataArgument(payloadArgument) as { transport?: unknown } | null | undefined;
  const transport = typeof payload === 'object' && payload !== null ? payload.transport : undefined;
  if (transport !== 'relay' && transport !== 'direct') {
    return fail(new P2pError('INVALID_PAYLOAD', "transport must be 'relay' or 'direct'", EVENT));
  }
  conn.gateway.engine
    .reportTransport(conn.clientId, socket.id, transport)
    .then((recorded) => (recorded ? answer?.(null) : fail(new P2pError('NOT_PAIRED', undefined, EVENT))))
    .catch((cause: unknown) => fail(internalError(socket, EVENT, cause)));
}
