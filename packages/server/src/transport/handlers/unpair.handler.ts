import { P2pError, P2pEvent } from 'nest-p2p-gateway-protocol';
import type { P2pSocket } from '../../connection/p2p-connection.state.js';
import { type AnyFunction, answerControl, replyWhenSettled, trailingAck } from './handler.replies.js';

const EVENT = P2pEvent.UNREGISTER;

/** `P2P_UNREGISTER([ack])`: leave the current pairing; the peer gets `P2P_DISCONNECT(clientId, 'UNREGISTERED')`. */
export function onUnpair(this: P2pSocket): void {
  const socket = this;
  const answer = trailingAck(arguments);
  const { clientId, gateway } = socket.data.p2p;
  replyWhenSettled(socket, answer, EVENT, () => gateway.engine.unregister(clientId), replyUnpaired);
}

function replyUnpaired(socket: P2pSocket, answer: AnyFunction | undefined, ended: boolean): void {
  answerControl(socket, answer, ended ? undefined : new P2pError('NOT_PAIRED', undefined, EVENT));
}
