import type { P2pError, P2pErrorCode } from 'nest-p2p-gateway-protocol';

/** One message of this side, from the moment the app hands it over until the peer confirms it. */
export interface OutgoingMessage {
  readonly seq: number;
  /** The app's event; absent for replies and skipped numbers. */
  readonly event?: string;
  readonly args: unknown[];
  /** The message asks the peer for a reply (emitWithAck). */
  readonly wantsReply: boolean;
  /** For a reply: the peer's message it answers. */
  readonly replyTo?: number;
  /** Set when the server refused the message for good: the number is sent as skipped instead. */
  skipped?: P2pErrorCode;
  bytes: number;
  /** End-to-end encryption (`ChannelSealer`): set while the message may not go out yet (not sealed, say). */
  held?: boolean;
  /** End-to-end encryption: the message sealed, sent in its place (the same bytes at every retransmission). */
  sealed?: Uint8Array<ArrayBuffer> | string;
  /** End-to-end encryption, a sealed batch: on its first message, how many messages `sealed` holds (it and the next). */
  batchSize?: number;
  /** End-to-end encryption: the message is sealed in the batch of an earlier one, and travels only inside its frame. */
  batched?: boolean;
  /** End-to-end encryption: the tag of the skipped number (`u`), so that the peer can tell it from a forged skip. */
  skipTag?: string;
}

/** What the channel needs from its owner (P2pClient). */
export interface ReliableChannelHost {
  /** Hands a peer's message to the app, once; `reply` is present when the peer awaits an answer. */
  deliver(event: string, args: unknown[], reply: ((...results: unknown[]) => void) | undefined): void;
  /** The peer answered this side's message `seq`. */
  replied(seq: number, results: unknown[]): void;
  /** The server refused this side's message for good (too large, not encodable): it will never be delivered. */
  refused(message: OutgoingMessage, error: P2pError): void;
  /** The unconfirmed messages are back under the send window after `send` returned false. */
  drain(): void;
  /** The peer confirmed every message of this side: none is left unconfirmed. */
  confirmed(): void;
  /** Frames went out or came in: room in the window or news of the peer (streams feed their chunks on it). */
  moved?(): void;
}
