import { P2P_RELIABLE_PROTOCOL, P2pError, P2pEvent } from 'nest-p2p-gateway-protocol';
import { clientIdProblem } from '../../options/client-id.rule.js';
import type { P2pSocket } from '../../connection/p2p-connection.state.js';
import { answerControl, dataArgument, internalError, sendError, trailingAck } from './handler.replies.js';

const EVENT = P2pEvent.REGISTER;

/** `P2P_REGISTER(targetClientId, ack)`: the source asks to pair. */
export function onPairRequest(this: P2pSocket, target: unknown): void {
  const socket = this;
  const answer = trailingAck(arguments);
  const targetId = dataArgument(target);
  const limited = socket.data.p2p.limits?.checkPairRequest();
  if (limited) return answerControl(socket, answer, limited);
  if (!answer) return sendError(socket, new P2pError('INVALID_PAYLOAD', 'P2P_REGISTER needs (targetClientId, ack)', EVENT));
  if (typeof targetId !== 'string' || targetId.length === 0) {
    return answerControl(socket, answer, new P2pError('INVALID_PAYLOAD', 'targetClientId must be a non-empty string', EVENT));
  }
  const { clientId, gateway, protocolVersion } = socket.data.p2p;
  // No connection can hold an id outside the clientId rules: such a target is refused here, before any hook, lifecycle
  // event or log line sees it (and without echoing it back).
  const problem = clientIdProblem(targetId, gateway.engine.options);
  if (problem) return answerControl(socket, answer, new P2pError('INVALID_CLIENT_ID', `targetClientId ${problem}`, EVENT));
  gateway.engine
    .requestPairing(clientId, targetId, (error, peer) => {
      // Protocol 3 sources learn their new peer's version with the ack: `ack(true, null, {peerProtocol})`.
      if (!error && peer && protocolVersion >= P2P_RELIABLE_PROTOCOL) answer(true, null, peer);
      else answerControl(socket, answer, error);
    })
    .catch((cause: unknown) => answerControl(socket, answer, internalError(socket, EVENT, cause)));
}
