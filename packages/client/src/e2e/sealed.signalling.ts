import { type DeliveredSignal, P2pE2eEvent, type SignalPayload } from 'nest-p2p-gateway-protocol';
import type { ReliableChannel } from '../reliable.channel.js';
import type { SignallingChannel } from '../webrtc/socket.signalling.js';

/** Signals of the peer kept while no upgrade listens (one starts just after the pairing, or after a resume). */
const MAX_WAITING_SIGNALS = 256;

/**
 * Option `e2e` with `webrtc`: one pairing's WebRTC signalling as `P2P_E2E_SIGNAL` messages of its reliable channel,
 * which seals them like every message (docs/e2e.md): no SDP, DTLS fingerprint or ICE candidate crosses the gateway in
 * the clear, and a signal the gateway forges or alters is never taken (it does not open). The channel also makes them
 * reliable and ordered; a signal of an earlier attempt is sorted out by its `pathId`, as over `P2P_SIGNAL`.
 */
export class SealedSignalling implements SignallingChannel {
  private listener?: (signal: DeliveredSignal) => void;
  private waiting: DeliveredSignal[] = [];

  constructor(
    private readonly channel: ReliableChannel,
    private readonly peerId: string,
  ) {}

  send(signal: SignalPayload): void {
    // Whatever the channel refuses (its queue full) is as lost as a signal the gateway drops: the attempt times out.
    this.channel.send(P2pE2eEvent.SIGNAL, [signal], false);
  }

  subscribe(listener: (signal: DeliveredSignal) => void): () => void {
    this.listener = listener;
    const waiting = this.waiting;
    this.waiting = [];
    for (const signal of waiting) listener(signal);
    return () => {
      if (this.listener === listener) this.listener = undefined;
    };
  }

  /** A `P2P_E2E_SIGNAL` of the peer, opened. */
  deliver(payload: unknown): void {
    if (typeof payload !== 'object' || payload === null || typeof (payload as { type?: unknown }).type !== 'string') return;
    const signal = { ...(payload as SignalPayload), sourceClientId: this.peerId } as DeliveredSignal;
    if (this.listener) this.listener(signal);
    else if (this.waiting.length < MAX_WAITING_SIGNALS) this.waiting.push(signal);
  }
}
