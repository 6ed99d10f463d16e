import { P2pError, P2pEvent } from 'nest-p2p-gateway-protocol';
import type { P2pSocket } from '../../connection/p2p-connection.state.js';
import { answerControl, asFunction, internalError } from './handler.replies.js';

/**
 * `P2P_REGISTER_SUCCESS` / `P2P_REGISTER_FAILED`: the target answers the request open to it. The original client sends
 * them bare; current clients add the source's id and an ack.
 */
function answerPairRequest(socket: P2pSocket, consent: boolean, args: unknown[]): void {
  const event = consent ? P2pEvent.REGISTER_SUCCESS : P2pEvent.REGISTER_FAILED;
  const ack = asFunction(args[args.length - 1]);
  // The first argument, unless it is the ack itself.
  const claimedSourceId = ack && args.length < 2 ? undefined : args[0];
  if (claimedSourceId !== undefined && claimedSourceId !== null && typeof claimedSourceId !== 'string') {
    return answerControl(socket, ack, new P2pError('INVALID_PAYLOAD', `${event} takes ([sourceClientId], [ack])`, event));
  }
  const { clientId, gateway } = socket.data.p2p;
  gateway.engine
    .answerRequest(clientId, consent, claimedSourceId ?? undefined)
    .then((error) => answerControl(socket, ack, error && new P2pError(error.code, error.message, event)))
    .catch((cause: unknown) => answerControl(socket, ack, internalError(socket, event, cause)));
}

export function onPairConsent(this: P2pSocket, ...args: unknown[]): void {
  answerPairRequest(this, true, args);
}

export function onPairRefusal(this: P2pSocket, ...args: unknown[]): void {
  answerPairRequest(this, false, args);
}
