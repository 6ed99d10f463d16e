import {
  MAX_STREAM_ID_LENGTH,
  P2pError,
  type P2pErrorCode,
  P2pStreamEvent,
  type StreamAbortPayload,
  type StreamAcceptPayload,
  type StreamCreditPayload,
  type StreamEndPayload,
  type StreamOpenPayload,
  isP2pErrorCode,
  isStreamEventName,
} from 'nest-p2p-gateway-protocol';
import { randomSessionToken } from '../session.token.js';
import { StreamReceiver } from './incoming.stream.js';
import { OutgoingStream, type SendStreamOptions, type StreamReceipt, checkSendStream } from './outgoing.stream.js';
import type { StreamHost } from './stream-host.interface.js';
import type { ResolvedStreamOptions } from './stream.options.js';
import type { StreamSource } from './stream-source.reader.js';

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function streamId(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_STREAM_ID_LENGTH ? value : undefined;
}

/** Binary as it arrives: a Buffer in Node, an ArrayBuffer from a browser's Socket.IO, a view from the data channel. */
function bytesOf(value: unknown): Uint8Array | undefined {
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  return undefined;
}

/**
 * Every stream of one client, both ways: routes the internal stream messages of the reliable channel, feeds the
 * outgoing chunks to the channel in turn (one chunk per stream per round, only while the host has room, so an app's
 * `emit` never waits behind more than a chunk or two), and fails every stream when the pairing ends.
 */
export class StreamHub {
  private readonly outgoing = new Map<string, OutgoingStream>();
  private readonly incoming = new Map<string, StreamReceiver>();
  private pumping = false;
  private again = false;
  /** Where the next round starts among the streams with work: each gets its turn first in time. */
  private turn = 0;
  /** The largest chunk the gateway's message size leaves room for (P2P_SESSION), when it announced one. */
  maxChunkBytes?: number;

  constructor(
    private readonly host: StreamHost,
    private readonly options: ResolvedStreamOptions,
  ) {}

  /** `client.sendStream`. */
  send(source: StreamSource, options: SendStreamOptions = {}): Promise<StreamReceipt> {
    let checked: { size?: number; meta: unknown };
    try {
      checked = checkSendStream(source, options);
    } catch (error) {
      return Promise.reject(error as P2pError);
    }
    if (this.host.peerStreams() === false) return Promise.reject(new P2pError('STREAMS_UNSUPPORTED'));
    const id = randomSessionToken();
    const stream = new OutgoingStream(id, source, checked.size, options, this.host, this.chunkBytes(), (s, closed) =>
      closed ? this.outgoing.delete(s.id) : this.pump(),
    );
    this.outgoing.set(id, stream);
    stream.open(checked.meta);
    return stream.receipt;
  }

  /** The option `chunkBytes`, cut to what the gateway's largest message leaves room for. */
  private chunkBytes(): number {
    return Math.min(this.options.chunkBytes, this.maxChunkBytes ?? Number.MAX_SAFE_INTEGER);
  }

  /** A message of the reliable channel: true when it was a stream's (never the app's business). */
  deliver(event: string, args: unknown[]): boolean {
    if (!isStreamEventName(event)) return false;
    if (event === P2pStreamEvent.DATA) {
      const id = streamId(args[0]);
      const chunk = bytesOf(args[1]);
      if (id !== undefined && chunk) this.incoming.get(id)?.data(chunk);
      return true;
    }
    const payload = record(args[0]);
    const id = streamId(payload?.id);
    if (!payload || id === undefined) return true;
    switch (event) {
      case P2pStreamEvent.OPEN:
        this.opened(payload as unknown as StreamOpenPayload);
        break;
      case P2pStreamEvent.ACCEPT:
        this.outgoing.get(id)?.accepted(payload as unknown as StreamAcceptPayload);
        break;
      case P2pStreamEvent.CREDIT:
        this.outgoing.get(id)?.credit(payload as unknown as StreamCreditPayload);
        break;
      case P2pStreamEvent.END:
        this.incoming.get(id)?.ended(payload as unknown as StreamEndPayload);
        break;
      case P2pStreamEvent.DONE:
        this.outgoing.get(id)?.done(payload as unknown as StreamEndPayload);
        break;
      case P2pStreamEvent.ABORT: {
        const { code, reason } = payload as unknown as StreamAbortPayload;
        const known: P2pErrorCode = isP2pErrorCode(code) ? code : 'STREAM_ABORTED';
        const text = typeof reason === 'string' ? reason : undefined;
        // An ABORT names a stream of either side: ids are random, so one map holds it at most.
        this.outgoing.get(id)?.abortedByPeer(known, text);
        this.incoming.get(id)?.abortedByPeer(known, text);
        break;
      }
    }
    this.pump();
    return true;
  }

  /** The server refused a stream message for good (too large for its `maxMessageBytes`, say): that stream fails. */
  refused(event: string, args: unknown[], error: P2pError): boolean {
    if (!isStreamEventName(event)) return false;
    const id = streamId(event === P2pStreamEvent.DATA ? args[0] : record(args[0])?.id);
    if (id !== undefined) this.outgoing.get(id)?.abortBoth(error.code, `the gateway refused a chunk: ${error.message}`);
    return true;
  }

  /**
   * Feeds the channel: one chunk per stream with work, in turn, while the host has room. Runs again after each frame
   * the channel sends or receives (room, credit, news of the peer's capabilities).
   */
  pump(): void {
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.again = false;
        this.refuseIfUnsupported();
        this.round();
      } while (this.again);
    } finally {
      this.pumping = false;
    }
  }

  /** The pairing ended: every stream fails with STREAM_INTERRUPTED, with the bytes confirmed so far. */
  end(): void {
    const outgoing = [...this.outgoing.values()];
    const incoming = [...this.incoming.values()];
    this.outgoing.clear();
    this.incoming.clear();
    for (const stream of outgoing) stream.fail('STREAM_INTERRUPTED');
    for (const stream of incoming) stream.interrupted();
  }

  private round(): void {
    while (this.host.room()) {
      const ready = [...this.outgoing.values()].filter((stream) => stream.hasWork);
      if (ready.length === 0) return;
      const start = this.turn++ % ready.length;
      for (let i = 0; i < ready.length && this.host.room(); i++) {
        const stream = ready[(start + i) % ready.length]!;
        if (stream.hasWork) stream.next();
      }
    }
  }

  private refuseIfUnsupported(): void {
    if (this.host.peerStreams() !== false) return;
    for (const stream of [...this.outgoing.values()]) if (stream.opening) stream.fail('STREAMS_UNSUPPORTED');
  }

  private opened(open: StreamOpenPayload): void {
    if (this.incoming.has(open.id)) return;
    const receiver = new StreamReceiver(open, this.host, this.options.windowBytes, (s) => this.incoming.delete(s.id));
    this.incoming.set(open.id, receiver);
    if (!this.host.announce(receiver)) receiver.reject('no stream listener');
  }
}
