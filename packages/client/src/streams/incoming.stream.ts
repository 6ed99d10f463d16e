import { P2pError, type P2pErrorCode, P2pStreamEvent, type StreamEndPayload, type StreamOpenPayload } from 'nest-p2p-gateway-protocol';
import { Sha256 } from './sha256.hash.js';
import { P2pStreamError } from './stream.error.js';
import type { StreamHost } from './stream-host.interface.js';
import type { IncomingStream } from './incoming-stream.interface.js';
import { RELAY_CREDIT_BYTES } from './stream.options.js';

type State = 'asked' | 'open' | 'closed';

/**
 * The receiving side of one stream. Chunks wait in a queue bounded by the credit it granted; it grants more as the
 * app reads (a pull-based ReadableStream with no buffer of its own), so memory stays under `windowBytes` per stream.
 * Through the gateway it grants at most RELAY_CREDIT_BYTES beyond what was read; the credit only ever grows, so after
 * a switch from the direct path it waits for the app to read down to the smaller window.
 */
export class StreamReceiver implements IncomingStream {
  readonly id: string;
  readonly meta: unknown;
  readonly size: number | undefined;
  readonly resumeId: string | undefined;
  readonly readable: ReadableStream<Uint8Array>;
  readonly done: Promise<{ bytes: number; sha256: string }>;
  private resolveDone!: (result: { bytes: number; sha256: string }) => void;
  private rejectDone!: (error: P2pError) => void;
  private state: State = 'asked';
  private controller!: ReadableStreamDefaultController<Uint8Array>;
  private readonly queue: Uint8Array[] = [];
  /** A read of the app waits for the next chunk. */
  private wanted = false;
  private received = 0;
  private read = 0;
  private limit = 0;
  private end?: StreamEndPayload;
  private readonly hash = new Sha256();

  constructor(
    open: StreamOpenPayload,
    private readonly host: StreamHost,
    private readonly windowBytes: number,
    /** The stream ended: the hub forgets it. */
    private readonly closed: (stream: StreamReceiver) => void,
  ) {
    this.id = open.id;
    this.meta = open.meta;
    this.size = typeof open.size === 'number' ? open.size : undefined;
    this.resumeId = typeof open.resumeId === 'string' ? open.resumeId : undefined;
    this.done = new Promise((resolve, reject) => {
      this.resolveDone = resolve;
      this.rejectDone = reject;
    });
    // An app that only reads `readable` must not get an unhandled rejection from `done` too.
    this.done.catch(() => undefined);
    this.readable = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.controller = controller;
        },
        pull: () => {
          if (this.state === 'asked') this.accept();
          this.wanted = true;
          this.flush();
        },
        cancel: (reason: unknown) => {
          const text = reason instanceof Error ? reason.message : typeof reason === 'string' ? reason : 'cancelled by the receiver';
          this.abortBoth('STREAM_ABORTED', text, false);
        },
      },
      { highWaterMark: 0 },
    );
  }

  accept(options: { offset?: number } = {}): void {
    if (this.state !== 'asked') return;
    const offset = options.offset ?? 0;
    if (!Number.isSafeInteger(offset) || offset < 0 || (this.size !== undefined && offset > this.size))
      throw new P2pError('INVALID_PAYLOAD', `accept: offset must be an integer from 0 to the size (${String(this.size)})`);
    this.state = 'open';
    this.limit = this.window();
    this.send(P2pStreamEvent.ACCEPT, { id: this.id, offset, limit: this.limit });
  }

  reject(reason?: string): void {
    if (this.state !== 'asked') return;
    this.abortBoth('STREAM_REFUSED', typeof reason === 'string' ? reason : 'refused by the receiver', true);
  }

  /** The next chunk from the sender. */
  data(chunk: Uint8Array): void {
    if (this.state !== 'open' || this.end) return;
    if (this.received + chunk.byteLength > this.limit) return this.abortBoth('STREAM_CORRUPT', 'the sender went past its credit', true);
    this.hash.update(chunk);
    this.received += chunk.byteLength;
    this.queue.push(chunk);
    this.flush();
  }

  /** The sender sent every chunk: once the app has read them all, the count and digest are checked. */
  ended(end: StreamEndPayload): void {
    if (this.state !== 'open' || this.end) return;
    this.end = end;
    this.flush();
  }

  /** The sender ended the stream. */
  abortedByPeer(code: P2pErrorCode, reason: string | undefined): void {
    this.fail(code, reason ? `the peer: ${reason}` : undefined, true);
  }

  /** The pairing ended: the stream fails on this side. */
  interrupted(): void {
    this.fail('STREAM_INTERRUPTED', undefined, true);
  }

  /** Hands the app the next chunk when it waits for one; finishes after the last. */
  private flush(): void {
    if (this.state !== 'open') return;
    if (this.wanted && this.queue.length > 0) {
      const chunk = this.queue.shift()!;
      this.wanted = false;
      this.read += chunk.byteLength;
      this.controller.enqueue(chunk);
      // More credit once half the window was read: one CREDIT per half window, not one per chunk.
      const window = this.window();
      if (this.read + window - this.limit >= window / 2) {
        this.limit = this.read + window;
        this.send(P2pStreamEvent.CREDIT, { id: this.id, limit: this.limit, read: this.read });
      }
    }
    if (this.end && this.queue.length === 0) this.finish(this.end);
  }

  /** The credit to keep ahead of what the app read, on the path the frames take now. */
  private window(): number {
    return this.host.direct() ? this.windowBytes : Math.min(this.windowBytes, RELAY_CREDIT_BYTES);
  }

  private finish({ bytes, sha256 }: StreamEndPayload): void {
    const ours = this.hash.hex();
    if (bytes !== this.received || sha256 !== ours)
      return this.abortBoth('STREAM_CORRUPT', `received ${this.received} bytes (${ours}), the sender sent ${bytes} (${sha256})`, true);
    this.state = 'closed';
    this.send(P2pStreamEvent.DONE, { id: this.id, bytes, sha256 });
    this.controller.close();
    this.closed(this);
    this.resolveDone({ bytes, sha256 });
  }

  private abortBoth(code: P2pErrorCode, reason: string, errorReadable: boolean): void {
    if (this.state === 'closed') return;
    this.send(P2pStreamEvent.ABORT, { id: this.id, code, reason });
    this.fail(code, reason, errorReadable);
  }

  private fail(code: P2pErrorCode, message: string | undefined, errorReadable: boolean): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.queue.length = 0;
    const error = new P2pStreamError(code, message, this.id, this.read);
    if (errorReadable) {
      try {
        this.controller.error(error);
      } catch {
        // already closed or errored
      }
    }
    this.closed(this);
    this.rejectDone(error);
  }

  private send(event: string, payload: object): void {
    this.host.send(event, [payload]);
  }
}
