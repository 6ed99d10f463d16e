/**
 * Streams between the two members of a pairing (protocol 3, issue 22). They travel as messages of the reliable channel
 * under these internal event names: names starting with `P2P_` are reserved, so an app can never send one (`emit`
 * refuses it with RESERVED_EVENT) nor receive one (the receiving client never hands it to the app). The gateway relays
 * reliable-channel frames as they are: it needs to know nothing of streams.
 *
 * Positions (`offset` excepted) count the bytes of this transfer: 0 is the first byte sent, which is byte `offset` of
 * the sender's source.
 */
export const P2pStreamEvent = {
  /** sender -> receiver: `({id, meta, size?, resumeId?})`, a new stream awaiting the receiver's answer. */
  OPEN: 'P2P_STREAM_OPEN',
  /** receiver -> sender: `({id, offset, limit})`, accepted: send from byte `offset` of the source, up to `limit`. */
  ACCEPT: 'P2P_STREAM_ACCEPT',
  /** receiver -> sender: `({id, limit, read})`, more credit: send up to `limit`; the app has read `read` bytes. */
  CREDIT: 'P2P_STREAM_CREDIT',
  /** sender -> receiver: `(id, bytes)`, the next chunk, one binary value (never base64). */
  DATA: 'P2P_STREAM_DATA',
  /** sender -> receiver: `({id, bytes, sha256})`, every chunk was sent: their count of bytes and SHA-256 (hex). */
  END: 'P2P_STREAM_END',
  /** receiver -> sender: `({id, bytes, sha256})`, the app read every byte and the digests matched. */
  DONE: 'P2P_STREAM_DONE',
  /** either way: `({id, code, reason?})`, the stream ended unfinished (refused, aborted, corrupt). */
  ABORT: 'P2P_STREAM_ABORT',
} as const;

export type P2pStreamEventName = (typeof P2pStreamEvent)[keyof typeof P2pStreamEvent];

const STREAM_EVENTS: ReadonlySet<string> = new Set<string>(Object.values(P2pStreamEvent));

export function isStreamEventName(event: unknown): event is P2pStreamEventName {
  return typeof event === 'string' && STREAM_EVENTS.has(event);
}

/**
 * Bit of a reliable-channel frame's `k` (capabilities) field: this side takes streams. Every frame of a client that
 * takes streams carries it; a peer whose frames lack it (a client older than streams) is told apart at the first frame
 * it sends, the acknowledgement of an OPEN at the latest, and `sendStream` fails with STREAMS_UNSUPPORTED.
 */
export const P2P_FRAME_CAPABILITY_STREAMS = 1;

/** The largest `meta` of a stream, as JSON text. */
export const MAX_STREAM_META_BYTES = 8 * 1024;

/** Longest stream id and resumeId. */
export const MAX_STREAM_ID_LENGTH = 128;

export interface StreamOpenPayload {
  id: string;
  meta: unknown;
  size?: number;
  resumeId?: string;
}

export interface StreamAcceptPayload {
  id: string;
  offset: number;
  limit: number;
}

export interface StreamCreditPayload {
  id: string;
  limit: number;
  read: number;
}

export interface StreamEndPayload {
  id: string;
  bytes: number;
  sha256: string;
}

export interface StreamAbortPayload {
  id: string;
  code: string;
  reason?: string;
}
