import {
  MAX_STREAM_ID_LENGTH,
  MAX_STREAM_META_BYTES,
  P2pError,
  type P2pErrorCode,
  P2pStreamEvent,
  type StreamAcceptPayload,
  type StreamCreditPayload,
  type StreamEndPayload,
} from 'nest-p2p-gateway-protocol';
import { Sha256 } from './sha256.hash.js';
import { P2pStreamError } from './stream.error.js';
import type { StreamHost } from './stream-host.interface.js';
import { type ChunkReader, type StreamSource, isStreamSource, knownSizeOf, openSource } from './stream-source.reader.js';

/** The second argument of `sendStream`. */
export interface SendStreamOptions {
  /** Small JSON the receiver sees first (a file name, a type): at most 8 KiB as JSON text. */
  meta?: unknown;
  /** The source's size in bytes, when known; told to the receiver. Bytes and Blobs tell it themselves. */
  size?: number | undefined;
  /** Called as the receiving app reads: bytes of this transfer it confirmed, and the total (from the accepted offset). */
  onProgress?: ((confirmedBytes: number, totalBytes?: number) => void) | undefined;
  /** Aborts the stream: the peer is told, `sendStream` rejects with STREAM_ABORTED. */
  signal?: AbortSignal | undefined;
  /** Names a transfer across pairings: send it again with the same resumeId and a seekable source to resume. */
  resumeId?: string | undefined;
}

/** What `sendStream` resolves with, once the receiving app read every byte and the digests matched. */
export interface StreamReceipt {
  id: string;
  /** Bytes sent by this call: the source's from `offset` to its end. */
  bytes: number;
  /** SHA-256 (hex) of those bytes, as both sides computed it. */
  sha256: string;
  /** Where the receiver asked this call to start (`accept({ offset })`); 0 unless resumed. */
  offset: number;
}

type State = 'opening' | 'sending' | 'ending' | 'closed';

/** Checks `sendStream`'s arguments; throws a P2pError (INVALID_PAYLOAD) for bad ones. */
export function checkSendStream(source: unknown, options: SendStreamOptions): { size?: number; meta: unknown } {
  const invalid = (message: string) => new P2pError('INVALID_PAYLOAD', `sendStream: ${message}`);
  if (!isStreamSource(source)) throw invalid('source must be a Uint8Array, ArrayBuffer, Blob, ReadableStream, AsyncIterable or opener');
  const known = knownSizeOf(source);
  const size = options.size ?? known;
  if (size !== undefined && (!Number.isSafeInteger(size) || size < 0)) throw invalid('size must be a non-negative integer');
  if (known !== undefined && size !== known) throw invalid(`size says ${size} bytes, the source holds ${known}`);
  const { resumeId } = options;
  if (resumeId !== undefined && (typeof resumeId !== 'string' || resumeId.length === 0 || resumeId.length > MAX_STREAM_ID_LENGTH))
    throw invalid(`resumeId must be a string of 1 to ${MAX_STREAM_ID_LENGTH} characters`);
  const meta = options.meta ?? null;
  let json: string | undefined;
  try {
    json = JSON.stringify(meta);
  } catch {
    json = undefined;
  }
  if (json === undefined) throw invalid('meta must be JSON');
  if (json.length > MAX_STREAM_META_BYTES) throw invalid(`meta takes at most ${MAX_STREAM_META_BYTES} characters as JSON`);
  return { ...(size === undefined ? {} : { size }), meta: JSON.parse(json) as unknown };
}

/**
 * The sending side of one stream: opens it, then reads its source one chunk at a time, only while the receiver's
 * credit allows, and hands each chunk to the hub, which feeds the reliable channel fairly among streams.
 */
export class OutgoingStream {
  readonly receipt: Promise<StreamReceipt>;
  private resolve!: (receipt: StreamReceipt) => void;
  private reject!: (error: P2pError) => void;
  private state: State = 'opening';
  private reader?: ChunkReader;
  private offset = 0;
  /** Bytes of this transfer the receiver allows (credit), sent, and confirmed read by its app. */
  private limit = 0;
  private sent = 0;
  private confirmed = 0;
  /** The next chunk, read and waiting for the channel's room. At most one: nothing else is read ahead. */
  private ready?: Uint8Array;
  private reading = false;
  private atEnd = false;
  private readonly hash = new Sha256();
  private readonly onAbort = () => this.abort(this.options.signal?.reason);

  constructor(
    readonly id: string,
    private readonly source: StreamSource,
    private readonly size: number | undefined,
    private readonly options: SendStreamOptions,
    private readonly host: StreamHost,
    private readonly chunkBytes: number,
    /** A chunk is ready, or the stream ended: the hub pumps, or forgets it. */
    private readonly wake: (stream: OutgoingStream, closed: boolean) => void,
  ) {
    this.receipt = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  get opening(): boolean {
    return this.state === 'opening';
  }

  /** Sends the OPEN; fails at once when there is no pairing to send it on. */
  open(meta: unknown): void {
    if (this.options.signal?.aborted) return this.fail('STREAM_ABORTED', 'aborted before it began');
    this.options.signal?.addEventListener('abort', this.onAbort, { once: true });
    const { resumeId } = this.options;
    const payload = { id: this.id, meta, ...(this.size === undefined ? {} : { size: this.size }), ...(resumeId ? { resumeId } : {}) };
    const error = this.host.send(P2pStreamEvent.OPEN, [payload]);
    if (error) this.fail(error.code, error.message);
  }

  accepted({ offset, limit }: StreamAcceptPayload): void {
    if (this.state !== 'opening') return;
    if (!Number.isSafeInteger(offset) || offset < 0 || (this.size !== undefined && offset > this.size))
      return this.abortBoth('INVALID_PAYLOAD', `the receiver asked for offset ${String(offset)}`);
    this.offset = offset;
    this.state = 'sending';
    try {
      this.reader = openSource(this.source, offset);
    } catch (error) {
      return this.abortBoth('STREAM_ABORTED', `the source failed: ${(error as Error).message}`);
    }
    this.grant(limit);
  }

  credit({ limit, read }: StreamCreditPayload): void {
    if (typeof read === 'number' && read > this.confirmed && read <= this.sent) {
      this.confirmed = read;
      this.options.onProgress?.(read, this.size === undefined ? undefined : this.size - this.offset);
    }
    this.grant(limit);
  }

  /** Whether the stream has something for the channel now: a chunk, or its END. */
  get hasWork(): boolean {
    return this.state === 'sending' && (this.ready !== undefined || this.atEnd);
  }

  /** Sends the ready chunk, or the END after the last one. Call only when `hasWork`. */
  next(): void {
    const chunk = this.ready;
    if (chunk) {
      this.ready = undefined;
      const error = this.host.send(P2pStreamEvent.DATA, [this.id, chunk]);
      if (error) return this.fail(error.code, error.message);
      this.hash.update(chunk);
      this.sent += chunk.byteLength;
      return this.fill();
    }
    if (this.size !== undefined && this.offset + this.sent !== this.size)
      return this.abortBoth('INVALID_PAYLOAD', `the source held ${this.offset + this.sent} bytes, not the ${this.size} of size`);
    this.state = 'ending';
    this.reader?.close();
    const error = this.host.send(P2pStreamEvent.END, [{ id: this.id, bytes: this.sent, sha256: this.hash.hex() }]);
    if (error) this.fail(error.code, error.message);
  }

  /** The receiver's app read every byte: its count and digest must be this side's. */
  done({ bytes, sha256 }: StreamEndPayload): void {
    if (this.state !== 'ending') return;
    const ours = this.hash.hex();
    if (bytes !== this.sent || sha256 !== ours) return this.abortBoth('STREAM_CORRUPT', `the receiver got ${bytes} bytes, ${sha256}`);
    this.confirmed = bytes;
    this.close();
    this.resolve({ id: this.id, bytes, sha256: ours, offset: this.offset });
  }

  /** The peer ended the stream (refused, aborted, corrupt). */
  abortedByPeer(code: P2pErrorCode, reason: string | undefined): void {
    this.fail(code, reason ? `the peer: ${reason}` : undefined);
  }

  /** This side's app aborts (the signal). */
  abort(reason?: unknown): void {
    const text = reason instanceof Error ? reason.message : typeof reason === 'string' ? reason : 'aborted by the sender';
    this.abortBoth('STREAM_ABORTED', text);
  }

  /** Ends the stream here with `code`; the peer is told (when the pairing still carries it). */
  abortBoth(code: P2pErrorCode, reason: string): void {
    if (this.state === 'closed') return;
    this.host.send(P2pStreamEvent.ABORT, [{ id: this.id, code, reason }]);
    this.fail(code, reason);
  }

  /** Ends the stream here without a word to the peer (gone, or it ended the stream itself). */
  fail(code: P2pErrorCode, message?: string): void {
    if (this.state === 'closed') return;
    this.close();
    this.reject(new P2pStreamError(code, message, this.id, this.confirmed));
  }

  private grant(limit: number): void {
    if (typeof limit === 'number' && limit > this.limit) this.limit = limit;
    this.fill();
  }

  /** Reads the next chunk when the credit allows one and none is waiting. */
  private fill(): void {
    if (this.state !== 'sending' || this.ready || this.reading || this.atEnd || this.sent >= this.limit) return;
    this.reading = true;
    this.reader!.read(Math.min(this.chunkBytes, this.limit - this.sent)).then(
      (chunk) => {
        this.reading = false;
        if (this.state !== 'sending') return;
        if (chunk === null) this.atEnd = true;
        else if (chunk.byteLength > 0) this.ready = chunk;
        else return this.fill();
        this.wake(this, false);
      },
      (error: unknown) => {
        this.reading = false;
        this.abortBoth('STREAM_ABORTED', `the source failed: ${error instanceof Error ? error.message : String(error)}`);
      },
    );
  }

  private close(): void {
    this.state = 'closed';
    this.ready = undefined;
    this.reader?.close();
    this.options.signal?.removeEventListener('abort', this.onAbort);
    this.wake(this, true);
  }
}
