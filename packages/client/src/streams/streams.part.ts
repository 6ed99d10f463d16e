import { type P2pError, isStreamEventName } from 'nest-p2p-gateway-protocol';
import type { ClientPart } from '../client-part.interface.js';
import type { MessageDispatcher } from '../message.dispatcher.js';
import type { ReliableChannel } from '../reliable.channel.js';
import { channelStreamHost } from './channel.stream-host.js';
import type { IncomingStream } from './incoming-stream.interface.js';
import type { SendStreamOptions, StreamReceipt } from './outgoing.stream.js';
import { StreamHub } from './stream.hub.js';
import type { ResolvedStreamOptions } from './stream.options.js';
import type { StreamSource } from './stream-source.reader.js';

/**
 * What a chunk's frame adds to it as the gateway measures a relayed message, at most: the packet, the frame's numbers,
 * the event name, the stream id (at most 128 characters) and, sealed end to end, the encoding's header and the tag.
 */
const CHUNK_FRAME_BYTES = 1024;

/** What the streams part needs of the client: where the peer's messages arrive, its state, and its `stream` event. */
export interface StreamsPartSetup {
  dispatcher: MessageDispatcher;
  options: ResolvedStreamOptions;
  /** The reliable channel's send window in bytes. */
  windowBytes: number;
  /** Paired now (not resuming, not pairing). */
  paired(): boolean;
  /** Emits `stream` when the app listens for it; false when it does not (the stream is then refused). */
  announce(incoming: IncomingStream): boolean;
  /** Whether the pair's frames go over the direct path (WebRTC) now. */
  direct(): boolean;
}

/**
 * Streams and files (docs/streams.md) as a part of P2pClient: they ride the pairing's reliable channel while it is
 * attached, claim their own messages (the `P2P_STREAM_*` names) before the app's listeners see them, and end with the
 * pairing.
 */
export class StreamsPart implements ClientPart {
  private channel?: ReliableChannel;
  private readonly hub: StreamHub;

  constructor(setup: StreamsPartSetup) {
    this.hub = new StreamHub(
      channelStreamHost({
        channel: () => this.channel,
        paired: setup.paired,
        windowBytes: () => setup.windowBytes,
        announce: setup.announce,
        direct: setup.direct,
      }),
      setup.options,
    );
    setup.dispatcher.register((event, args) => this.hub.deliver(event, args));
  }

  send(source: StreamSource, options?: SendStreamOptions): Promise<StreamReceipt> {
    return this.hub.send(source, options);
  }

  /**
   * The gateway's largest relayed message on this connection (P2P_SESSION; undefined: none announced): the streams
   * opened from now on cut their chunks to fit it, with room for their frame.
   */
  relayLimit(maxMessageBytes: number | undefined): void {
    this.hub.maxChunkBytes = maxMessageBytes === undefined ? undefined : Math.max(1, maxMessageBytes - CHUNK_FRAME_BYTES);
  }

  attach(_peerId: string, channel: ReliableChannel): void {
    this.channel = channel;
  }

  detach(_error: P2pError): void {
    this.channel = undefined;
    this.hub.end();
  }

  /** The messages this part sends: the channel reports none of them as the app's `undelivered`. */
  owns(event: string | undefined): boolean {
    return isStreamEventName(event);
  }

  /** The server refused one of this part's messages for good: its stream fails with the refusal's code. */
  refused(event: string, args: unknown[], error: P2pError): boolean {
    return this.hub.refused(event, args, error);
  }

  /** Frames moved on the channel: room for more chunks, or news of the peer. */
  moved(): void {
    this.hub.pump();
  }
}
