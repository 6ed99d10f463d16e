import type { P2pClientSocket } from '../client-socket.interface.js';
import { type DeliveredSignal, P2pError, P2pEvent, type SignalPayload, type WebRtcConfigPayload } from 'nest-p2p-gateway-protocol';

/**
 * What signalling uses of a socket.io-client `Socket` (declared structurally, as for P2pClient: a socket of any
 * socket.io-client 4.x build fits).
 */
export type SignallingSocket = Pick<P2pClientSocket, 'on' | 'off' | 'emit' | 'timeout'>;

/** How a DirectPath reaches its peer before the data channel is open: through the gateway's `P2P_SIGNAL`. */
export interface SignallingChannel {
  /** Sends one signal to the peer. */
  send(signal: SignalPayload): void;
  /** Registers `listener` for the peer's signals; returns the function that removes it. */
  subscribe(listener: (signal: DeliveredSignal) => void): () => void;
}

/**
 * Signalling over a connected protocol 3 socket: `send` emits `P2P_SIGNAL` (with an ack; a refusal goes to `onError`),
 * `subscribe` listens to the `P2P_SIGNAL`s the gateway delivers, from the current peer only.
 */
export function socketSignalling(socket: SignallingSocket, onError: (error: P2pError) => void = () => undefined): SignallingChannel {
  return {
    send(signal) {
      socket.emit(P2pEvent.SIGNAL, signal, (error: unknown) => {
        if (error) onError(P2pError.fromPayload(error));
      });
    },
    subscribe(listener) {
      const onSignal = (signal: DeliveredSignal) => listener(signal);
      socket.on(P2pEvent.SIGNAL, onSignal);
      return () => {
        socket.off(P2pEvent.SIGNAL, onSignal);
      };
    },
  };
}

/** Asks the gateway for this client's WebRTC configuration (`P2P_WEBRTC_CONFIG`); rejects with a P2pError. */
export function requestWebRtcConfig(socket: SignallingSocket, timeoutMs = 10_000): Promise<WebRtcConfigPayload> {
  return new Promise((resolve, reject) => {
    socket.timeout(timeoutMs).emit(P2pEvent.WEBRTC_CONFIG, (timedOut: Error | null, error: unknown, config: WebRtcConfigPayload) => {
      if (timedOut) return reject(new P2pError('REQUEST_TIMEOUT', undefined, P2pEvent.WEBRTC_CONFIG));
      if (error) return reject(P2pError.fromPayload(error));
      resolve(config);
    });
  });
}
