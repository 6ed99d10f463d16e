import type { IncomingStream } from './streams/incoming-stream.interface.js';
import type { P2pError, P2pTransport } from 'nest-p2p-gateway-protocol';

/** `resuming`: paired, with the connection lost; the server holds the pairing for a while (reconnect grace). */
export type P2pClientState = 'idle' | 'pairing' | 'asked' | 'paired' | 'resuming';

export interface P2pClientEvents {
  /** A pairing began: this client's request was accepted, or it accepted one. */
  paired: (peerId: string) => void;
  /** The connection came back within the server's grace period and the pairing with `peerId` carries on. */
  resumed: (peerId: string) => void;
  /** The pairing ended; `reason` is a P2pDisconnectReason or the host app's own. */
  unpaired: (peerId: string, reason: string) => void;
  /**
   * A pairing request arrived (before the consent hook decides). Settled by `request-withdrawn`, or by `paired` with
   * `sourceId` (this client consented, or its own `pair(sourceId)` crossed the request). A request from the client this
   * one is asking (crossing requests: the gateway pairs the two) is not announced unless that `pair()` fails.
   */
  request: (sourceId: string) => void;
  /**
   * The request from `sourceId` ended before this client answered it: `PAIR_TIMEOUT` (not answered within the
   * server's `pairTimeoutMs`), `DISCONNECTED` / `REPLACED` (the source left), `DISCONNECTED` too when this client's own
   * connection dropped. Close a consent prompt on it: its answer would be ignored.
   */
  'request-withdrawn': (sourceId: string, reason: string) => void;
  /** A failure with no promise to reject: a fire-and-forget relay, a legacy-style call, a consent that did not hold. */
  error: (error: P2pError) => void;
  /** Reliable channel: the unconfirmed messages are back within the send window after `emit` returned false. */
  drain: () => void;
  /**
   * Reliable channel: the pairing ended before the peer confirmed these messages, in the order they were sent. They
   * were not delivered, or their confirmation was lost with the pairing: nothing is dropped without this report.
   */
  undelivered: (messages: UndeliveredMessage[], error: P2pError) => void;
  /**
   * Option `webrtc`: the pairing's messages now go over a direct data channel (`'direct'`) or through the gateway
   * again (`'relay'`). Nothing is lost, duplicated or reordered across the switch.
   */
  transport: (transport: P2pTransport) => void;
  /**
   * Option `e2e`: the pairing's keys are agreed and the peer confirmed them. Show `verificationCode` to the user, who
   * compares it with the one the peer's user sees (docs/e2e.md): equal codes mean no one substituted keys.
   */
  secured: (verificationCode: string) => void;
  /** A stream from the peer (`sendStream`): accept or reject it, then read `incoming.readable`. None: refused. */
  stream: (incoming: IncomingStream) => void;
}

/** A message of this client that the peer never confirmed. */
export interface UndeliveredMessage {
  event: string;
  args: unknown[];
}

/** How a part of P2pClient tells the app something: the client's own `emitLocal`, and nothing else of it. */
export type ClientEventSink = <K extends keyof P2pClientEvents>(event: K, ...args: Parameters<P2pClientEvents[K]>) => void;
