import { P2pError } from 'nest-p2p-gateway-protocol';
import type { IncomingStream } from './incoming-stream.interface.js';
import type { StreamHost } from './stream-host.interface.js';

/** The part of the reliable channel streams use (ReliableChannel fits it). */
export interface StreamChannel {
  send(event: string, args: unknown[], wantsReply: boolean): { seq: number; belowWindow: boolean } | P2pError;
  /** Messages held that have not gone out on the current path yet. */
  readonly unsent: number;
  /** Estimated bytes of the unconfirmed messages. */
  readonly unconfirmedBytes: number;
  /** Whether the peer takes streams; undefined before its first frame. */
  readonly peerStreams: boolean | undefined;
}

/** What the client lends its streams: the pairing's channel while there is one, and its `stream` listeners. */
export interface StreamClientPort {
  channel(): StreamChannel | undefined;
  /** Paired (a channel may still be missing: a peer of protocol 2 or older). */
  paired(): boolean;
  /** The channel's send window in bytes (`reliable.window.bytes`). */
  windowBytes(): number;
  /** Emits `stream` when the app listens for it; false when it does not. */
  announce(incoming: IncomingStream): boolean;
  /** Whether the pair's frames go over the direct path now. */
  direct(): boolean;
}

/**
 * Streams on a client's reliable channel. A chunk joins the channel only when at most one message waits in it unsent
 * (the channel sends what it holds as its pacer allows, so chunks are paced and an app's `emit` waits behind a chunk or
 * two at most) and the unconfirmed messages stay under half the send window (the other half is the app's).
 */
export function channelStreamHost(client: StreamClientPort): StreamHost {
  return {
    send: (event, args) => {
      const channel = client.channel();
      if (!channel)
        return client.paired()
          ? new P2pError('STREAMS_UNSUPPORTED', 'streams need the reliable channel (both sides on protocol 3)')
          : new P2pError('NOT_PAIRED');
      const sent = channel.send(event, args, false);
      return sent instanceof P2pError ? sent : undefined;
    },
    room: () => {
      const channel = client.channel();
      return !!channel && channel.unsent < 2 && channel.unconfirmedBytes < client.windowBytes() / 2;
    },
    peerStreams: () => client.channel()?.peerStreams,
    direct: () => client.direct(),
    announce: (incoming) => client.announce(incoming),
  };
}
