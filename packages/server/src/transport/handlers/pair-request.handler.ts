import { P2P_RELIABLE_PROTOCOL, P2pError, P2pEvent, e2eCommitRequestOf } from 'nest-p2p-gateway-protocol';
import { clientIdProblem } from '../../options/client-id.rule.js';
import type { P2pSocket } from '../../connection/p2p-connection.state.js';
import type { PairRequestCallback } from '../../pairing/pairing.engine.js';
import { answerControl, dataArgument, replyWhenSettled, sendError, trailingAck } from './handler.replies.js';

const EVENT = P2pEvent.REGISTER;

/**
 * `P2P_REGISTER(targetClientId, ack)`: the source asks to pair. A client that declared `auth.p2pE2eCommit` may put its
 * e2e pre-commitment between the two (`E2eCommitRequest`, docs/e2e.md); anything else there is ignored, as before.
 */
export function onPairRequest(this: P2pSocket, target: unknown, extra?: unknown): void {
  const socket = this;
  const answer = trailingAck(arguments);
  const targetId = dataArgument(target);
  const limited = socket.data.p2p.limits?.checkPairRequest();
  if (limited) return answerControl(socket, answer, limited);
  if (!answer) return sendError(socket, new P2pError('INVALID_PAYLOAD', 'P2P_REGISTER needs (targetClientId, ack)', EVENT));
  if (typeof targetId !== 'string' || targetId.length === 0) {
    return answerControl(socket, answer, new P2pError('INVALID_PAYLOAD', 'targetClientId must be a non-empty string', EVENT));
  }
  const { clientId, gateway, protocolVersion, registration } = socket.data.p2p;
  const e2e = registration.e2eCommit === true ? e2eCommitRequestOf(dataArgument(extra)) : undefined;
  // No connection can hold an id outside the clientId rules: such a target is refused here, before any hook, lifecycle
  // event or log line sees it (and without echoing it back).
  const problem = clientIdProblem(targetId, gateway.engine.options);
  if (problem) return answerControl(socket, answer, new P2pError('INVALID_CLIENT_ID', `targetClientId ${problem}`, EVENT));
  const answered: PairRequestCallback = (error, peer) => {
    // Protocol 3 sources learn their new peer's version with the ack: `ack(true, null, {peerProtocol})`.
    if (!error && peer && protocolVersion >= P2P_RELIABLE_PROTOCOL) answer(true, null, peer);
    else answerControl(socket, answer, error);
  };
  // The callback answers the source: the step's own outcome needs no reply, only its failure does.
  replyWhenSettled(socket, answer, EVENT, () => gateway.engine.requestPairing(clientId, targetId, answered, e2e?.e2eCommitment), noReply);
}

function noReply(): void {}
