import { P2pError, P2pEvent, e2eCommitAnswerOf } from 'nest-p2p-gateway-protocol';
import type { E2eConsent } from '../../pairing/pairing.engine.js';
import type { P2pSocket } from '../../connection/p2p-connection.state.js';
import { answerControl, asFunction, replyWhenSettled } from './handler.replies.js';

/**
 * `P2P_REGISTER_SUCCESS` / `P2P_REGISTER_FAILED`: the target answers the request open to it. The original client sends
 * them bare; current clients add the source's id and an ack. A consent from a client that declared `auth.p2pE2eCommit`
 * may carry its e2e key (`E2eCommitAnswer`) after the id: passed on to the source with the pairing's answer, and the
 * ack then says so, `ack(true, null, {e2eCommitted: true})`.
 */
function answerPairRequest(socket: P2pSocket, consent: boolean, args: unknown[]): void {
  const event = consent ? P2pEvent.REGISTER_SUCCESS : P2pEvent.REGISTER_FAILED;
  const ack = asFunction(args[args.length - 1]);
  // The source's id and the e2e answer, read in place (no slice): the ack, when there is one, is the last argument.
  const end = ack ? args.length - 1 : args.length;
  const claimedSourceId = end > 0 ? args[0] : undefined;
  const extra = end > 1 ? args[1] : undefined;
  if (claimedSourceId !== undefined && claimedSourceId !== null && typeof claimedSourceId !== 'string') {
    return answerControl(socket, ack, new P2pError('INVALID_PAYLOAD', `${event} takes ([sourceClientId], [ack])`, event));
  }
  const { clientId, gateway, registration } = socket.data.p2p;
  const answer = consent && registration.e2eCommit === true ? e2eCommitAnswerOf(extra) : undefined;
  const e2e: E2eConsent | undefined = answer && { answer };
  replyWhenSettled(
    socket,
    ack,
    event,
    () => gateway.engine.answerRequest(clientId, consent, claimedSourceId ?? undefined, e2e),
    (_, ack, error) => {
      if (!error && e2e?.passed && ack) ack(true, null, { e2eCommitted: true });
      else answerControl(socket, ack, error && new P2pError(error.code, error.message, event));
    },
  );
}

export function onPairConsent(this: P2pSocket, ...args: unknown[]): void {
  answerPairRequest(this, true, args);
}

export function onPairRefusal(this: P2pSocket, ...args: unknown[]): void {
  answerPairRequest(this, false, args);
}
