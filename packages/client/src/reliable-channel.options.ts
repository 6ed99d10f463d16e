/** A bound in messages and in bytes (bytes as estimated from the values: string lengths, binary sizes...). */
export interface MessageBound {
  messages?: number | undefined;
  bytes?: number | undefined;
}

/** Options of the reliable channel that two paired protocol-3 `P2pClient`s use for `emit` and `emitWithAck`. */
export interface ReliableChannelOptions {
  /**
   * The send window: unconfirmed messages allowed in flight. While the unconfirmed messages stay within it `emit`
   * returns true; past it, `emit` returns false, the message waits here, and `drain` follows once there is room.
   * @default { messages: 1024, bytes: 8388608 } (8 MiB)
   */
  window?: MessageBound | undefined;
  /**
   * Room behind the window for an app that keeps sending after `emit` returned false. Past it a message is refused
   * with BUFFER_FULL (the `error` event, or the rejected `emitWithAck`): only an app that ignores backpressure sees it.
   * @default { messages: 16384, bytes: 67108864 } (64 MiB)
   */
  queue?: MessageBound | undefined;
  /**
   * The receiver confirms after this many messages, or `ackDelayMs` after the first unconfirmed one, or with its next
   * frame of its own, whichever comes first.
   * @default 32
   */
  ackEvery?: number | undefined;
  /** @default 20 */
  ackDelayMs?: number | undefined;
  /**
   * With messages in flight and nothing confirmed for this long, they are sent again (doubling up to
   * `maxRetransmitMs` while nothing moves). Resumes and refusals resend at once, without waiting for it.
   * @default 2000
   */
  retransmitMs?: number | undefined;
  /** @default 16000 */
  maxRetransmitMs?: number | undefined;
  /**
   * After the server refused a frame for a passing cause (peer away or slow, a rate limit), how long to wait before
   * sending again; doubles while refusals go on.
   * @default 100
   */
  refusalBackoffMs?: number | undefined;
}

export interface ResolvedReliableOptions {
  windowMessages: number;
  windowBytes: number;
  queueMessages: number;
  queueBytes: number;
  ackEvery: number;
  ackDelayMs: number;
  retransmitMs: number;
  maxRetransmitMs: number;
  refusalBackoffMs: number;
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) throw new TypeError(`P2pClient: reliable.${name} must be a positive number`);
  return value;
}

export function resolveReliableOptions(options: ReliableChannelOptions = {}): ResolvedReliableOptions {
  return {
    windowMessages: positive('window.messages', options.window?.messages, 1024),
    windowBytes: positive('window.bytes', options.window?.bytes, 8 * 1024 * 1024),
    queueMessages: positive('queue.messages', options.queue?.messages, 16_384),
    queueBytes: positive('queue.bytes', options.queue?.bytes, 64 * 1024 * 1024),
    ackEvery: positive('ackEvery', options.ackEvery, 32),
    ackDelayMs: positive('ackDelayMs', options.ackDelayMs, 20),
    retransmitMs: positive('retransmitMs', options.retransmitMs, 2_000),
    maxRetransmitMs: positive('maxRetransmitMs', options.maxRetransmitMs, 16_000),
    refusalBackoffMs: positive('refusalBackoffMs', options.refusalBackoffMs, 100),
  };
}
