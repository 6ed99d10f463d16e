import type { P2pError } from 'nest-p2p-gateway-protocol';
import type { ReliableChannel } from './reliable.channel.js';

/**
 * A feature of P2pClient that lives per pairing over the reliable channel: the seam for streams and end-to-end
 * encryption (docs/design-notes.md, "The client's parts"). The facade builds its parts in its constructor (from the
 * client's options), hands each what it needs there (the `MessageDispatcher` to claim its own messages, the event sink,
 * the socket's requests), and drives them through the pairing's life with the calls below. A part never sees the
 * client itself, and the client's public API grows by at most a thin method that calls the part.
 */
export interface ClientPart {
  /** A pairing with `peerId` opened its reliable channel (both sides speak protocol 3): the part may send on it. */
  attach(peerId: string, channel: ReliableChannel): void;
  /** The connection came back within the grace and the pairing with `peerId` carries on; the channel resyncs itself. */
  resumed?(peerId: string): void;
  /**
   * The pairing ended, or the client was disposed, with `error`: the part settles what it holds for the pairing (rejects
   * its promises with `error`) and lets it go. Called at every end, attached or not: it must be idempotent.
   */
  detach(error: P2pError): void;
  /** Whether `event` is one of the part's own messages: the channel never reports those as the app's `undelivered`. */
  owns?(event: string | undefined): boolean;
  /** The server refused one of the channel's messages for good: true when it was the part's (the part settles it). */
  refused?(event: string, args: unknown[], error: P2pError): boolean;
  /** Frames went out or came in on the channel: room in its window, or news of the peer. */
  moved?(): void;
}
