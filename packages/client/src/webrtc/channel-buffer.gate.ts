/** `maxBufferedBytes` by default: the data channel's buffer beyond which numbered frames wait. */
export const DEFAULT_MAX_BUFFERED_BYTES = 1024 * 1024;

/** How soon the gate looks at the buffer again after an early `bufferedamountlow` (see `drained`). */
const RECHECK_MS = 10;

/** What the gate reads of a data channel. */
interface BufferedChannel {
  readonly bufferedAmount: number;
  bufferedAmountLowThreshold: number;
  onbufferedamountlow: ((this: RTCDataChannel, ev: Event) => unknown) | null;
}

/**
 * The data channel's own backpressure for the direct path: while the channel buffers `maxBufferedBytes`, numbered
 * frames are refused (they wait in the reliable channel) and `onceWritable` calls back once the buffer fell to a
 * quarter of it (`bufferedamountlow`). Acknowledgements always go: they are a few bytes, and holding them back would
 * stall the peer.
 */
export class ChannelBufferGate {
  /** Called once the buffer fell low again, after a frame was refused for a full buffer. */
  private writable?: () => void;
  /** The last frame was refused for a full buffer (only then does `onceWritable` wait for it to drain). */
  private full = false;
  private channel?: BufferedChannel;
  /** A look again at the buffer, after a `bufferedamountlow` that came while it was still above the low mark. */
  private recheck?: ReturnType<typeof setTimeout>;

  /** Where the buffer counts as drained: a quarter of the bound. */
  private get lowMark(): number {
    return Math.floor(this.maxBufferedBytes / 4);
  }

  constructor(
    private readonly maxBufferedBytes: number,
    /** Whether the path is still open: a path that ended calls nobody back. */
    private readonly isOpen: () => boolean,
  ) {}

  /** Watches `channel`'s buffer. */
  attach(channel: BufferedChannel): void {
    this.channel = channel;
    channel.bufferedAmountLowThreshold = this.lowMark;
    channel.onbufferedamountlow = () => this.drained();
  }

  /** Whether `frame` must wait: a numbered frame while the buffer is full. Remembers it for `onceWritable`. */
  refuses(frame: object): boolean {
    this.full = (frame as { s?: unknown }).s !== undefined && (this.channel?.bufferedAmount ?? 0) >= this.maxBufferedBytes;
    return this.full;
  }

  /** Forgets a refusal (a frame refused for another cause: the channel closing, which never drains). */
  clearRefusal(): void {
    this.full = false;
  }

  /**
   * `ready` is called once the buffer fell low again, when the last frame was refused for a full buffer. Refused for
   * another cause, it is never called: the path ends.
   */
  onceWritable(ready: () => void): void {
    if (!this.full || !this.isOpen()) return;
    this.writable = ready;
    // Drained below the low mark already (the channel sends on its own thread): no event will come.
    if ((this.channel?.bufferedAmount ?? 0) <= this.lowMark) queueMicrotask(() => this.drained());
  }

  /** Stops watching (the path ended). */
  detach(): void {
    if (this.channel) this.channel.onbufferedamountlow = null;
    this.channel = undefined;
    this.writable = undefined;
    clearTimeout(this.recheck);
    this.recheck = undefined;
  }

  private drained(): void {
    // The event is raised on the channel's own thread and handed over later: one queued while the buffer was low
    // (before the frames that filled it) can arrive once it is full again. Believe the buffer, not the event.
    if (this.writable && this.isOpen() && (this.channel?.bufferedAmount ?? 0) > this.lowMark) {
      this.recheck ??= setTimeout(() => {
        this.recheck = undefined;
        this.drained();
      }, RECHECK_MS);
      return;
    }
    this.full = false;
    const ready = this.writable;
    this.writable = undefined;
    if (this.isOpen()) ready?.();
  }
}
