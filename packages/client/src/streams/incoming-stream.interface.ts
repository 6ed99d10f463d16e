/** What the receiving app gets from the `stream` event. */
export interface IncomingStream {
  readonly id: string;
  readonly meta: unknown;
  /** The source's size as the sender told it, if it did. */
  readonly size: number | undefined;
  readonly resumeId: string | undefined;
  /**
   * The bytes, from the accepted offset on. Reading is what grants the sender credit: unread, the sender stalls.
   * Reading before `accept` accepts from offset 0. `cancel(reason)` aborts the stream (the sender is told).
   */
  readonly readable: ReadableStream<Uint8Array>;
  /** Takes the stream; `offset`: the bytes already held from an earlier attempt (resume), skipped by the sender. */
  accept(options?: { offset?: number }): void;
  /** Refuses the stream: the sender's `sendStream` rejects with STREAM_REFUSED and `reason`. */
  reject(reason?: string): void;
  /** Every byte read and the digests equal: the count and SHA-256 of the bytes of this transfer. */
  readonly done: Promise<{ bytes: number; sha256: string }>;
}
