import { P2pEvent } from 'nest-p2p-gateway-protocol';
import type { P2pSocket } from '../../connection/p2p-connection.state.js';
import { onListClients } from './list-clients.handler.js';
import { onPairConsent, onPairRefusal } from './pair-answer.handler.js';
import { onPairRequest } from './pair-request.handler.js';
import { onFrame, onRelay, onRelayWithAck } from './relay.handler.js';
import { onUnpair } from './unpair.handler.js';
import { onSignal } from './signal.handler.js';
import { onTransportReport } from './transport.handler.js';
import { onWebRtcConfig } from './webrtc-config.handler.js';

type EventHandler = (this: P2pSocket, ...args: any[]) => void;

/**
 * One small handler per inbound event. They are shared by every socket (`this` is the socket), so a connection costs
 * no closures.
 */
export const P2P_EVENT_HANDLERS: ReadonlyArray<readonly [string, EventHandler]> = [
  [P2pEvent.EMIT, onRelay],
  [P2pEvent.EMIT_ACKNOWLEDGE, onRelayWithAck],
  [P2pEvent.FRAME, onFrame],
  [P2pEvent.REGISTER, onPairRequest],
  [P2pEvent.REGISTER_SUCCESS, onPairConsent],
  [P2pEvent.REGISTER_FAILED, onPairRefusal],
  [P2pEvent.UNREGISTER, onUnpair],
  [P2pEvent.LIST_CLIENTS, onListClients],
  [P2pEvent.SIGNAL, onSignal],
  [P2pEvent.WEBRTC_CONFIG, onWebRtcConfig],
  [P2pEvent.TRANSPORT, onTransportReport],
];
