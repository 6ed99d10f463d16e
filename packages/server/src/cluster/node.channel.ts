import { deserialize, serialize } from 'node:v8';
import type { ClusterFrame } from './cluster.message.js';

/**
 * What the channel uses of an ioredis connection, declared structurally so that the server's type declarations never
 * import `ioredis` (an optional peer dependency).
 */
export interface NodeChannelRedis {
  on(event: 'smessageBuffer' | 'messageBuffer', listener: (channel: Buffer, message: Buffer) => void): unknown;
  subscribe(channel: string): Promise<unknown>;
  ssubscribe(channel: string): Promise<unknown>;
  publish(channel: string, message: Buffer | string): Promise<unknown>;
  spublish(channel: string, message: Buffer | string): Promise<unknown>;
}

/** Why a frame did not reach its node: it could not be encoded, Redis did not take it, or no node listens there. */
export type FrameFailure = 'INVALID_PAYLOAD' | 'STORE_UNAVAILABLE' | 'PEER_DISCONNECTED';

export interface NodeChannelOptions {
  /** Channels are `<keyPrefix>#node#<tag>`, without a hash tag: on a Redis Cluster they spread over the shards. */
  keyPrefix: string;
  /** This node's tag (node-address.ts): the channel it listens on. */
  tag: string;
  /** SPUBLISH / SSUBSCRIBE (Redis 7 sharded pub/sub) rather than PUBLISH / SUBSCRIBE. */
  sharded: boolean;
  /** Longest wait for Redis to take a publish; then its frames count as undelivered (STORE_UNAVAILABLE). */
  publishTimeoutMs: number;
}

export interface NodeChannelHandlers {
  /** The frames of one message from another node, in the order they were posted. */
  onFrames(frames: ClusterFrame[]): void;
  /** A frame posted here that did not reach the node tagged `tag`. */
  onFailed(frame: ClusterFrame, failure: FrameFailure, tag: string): void;
}

const IGNORE: NodeChannelHandlers = { onFrames: () => undefined, onFailed: () => undefined };

/** A publish Redis has not answered yet, oldest first (publishes share one connection, so Redis answers in order). */
interface InFlightPublish {
  readonly tag: string;
  readonly frames: ClusterFrame[];
  /** `Date.now()` past which its frames count as undelivered (STORE_UNAVAILABLE). */
  readonly deadline: number;
  settled: boolean;
  next: InFlightPublish | undefined;
}

/**
 * Moves frames between gateway nodes over Redis pub/sub, one channel per node: a node receives only what is addressed
 * to it. Frames posted for one node within an event-loop turn are published together, as one V8-serialized array
 * (binary values included), after the turn's I/O callbacks ran (`setImmediate`). At most one publish to a node is in
 * flight: frames posted for it meanwhile wait for Redis's answer and then leave together, so under load a batch grows
 * with the time Redis takes to answer (fewer, larger publishes) and when idle a frame waits for nothing more. Each publish has a bound
 * (`publishTimeoutMs`), so a Redis that hangs fails it within that; one timer serves the bounds of all publishes in
 * flight (the oldest one's deadline), not a timer each. Knows nothing of what frames mean.
 */
export class NodeChannel {
  readonly channel: string;
  private readonly channelBytes: Buffer;
  private handlers = IGNORE;
  /** Frames waiting to be published, by the tag of the node they go to. */
  private readonly outbox = new Map<string, ClusterFrame[]>();
  private flushScheduled = false;
  /** Tags of the nodes a publish is in flight to: what is posted for them meanwhile waits for its answer. */
  private readonly busy = new Set<string>();
  /** Publishes in flight, oldest first; settled ones leave from the front. */
  private oldest: InFlightPublish | undefined;
  private newest: InFlightPublish | undefined;
  private inFlight = 0;
  /** Armed for the oldest publish's deadline while any is in flight. */
  private boundTimer: NodeJS.Timeout | undefined;
  /** `flush` callers waiting for every publish so far to settle. */
  private drained: (() => void)[] = [];

  constructor(
    private readonly pub: NodeChannelRedis,
    private readonly sub: NodeChannelRedis,
    private readonly options: NodeChannelOptions,
  ) {
    this.channel = this.channelOf(options.tag);
    this.channelBytes = Buffer.from(this.channel);
  }

  get tag(): string {
    return this.options.tag;
  }

  /** Subscribes this node's channel; resolves once Redis confirmed it. */
  async open(): Promise<void> {
    this.sub.on(this.options.sharded ? 'smessageBuffer' : 'messageBuffer', (channel: Buffer, message: Buffer) => {
      if (channel.equals(this.channelBytes)) this.receive(message);
    });
    await (this.options.sharded ? this.sub.ssubscribe(this.channel) : this.sub.subscribe(this.channel));
  }

  attach(handlers: NodeChannelHandlers): void {
    this.handlers = handlers;
  }

  /** Stops handing frames over (shutdown); frames posted afterwards are still published by `flush`. */
  detach(): void {
    this.handlers = IGNORE;
  }

  /**
   * Queues `frame` for the node tagged `tag`. It leaves with the others bound there at the end of this turn, or, while
   * a publish to that node is in flight, as soon as Redis answered it.
   */
  post(tag: string, frame: ClusterFrame): void {
    const queued = this.outbox.get(tag);
    if (queued) queued.push(frame);
    else this.outbox.set(tag, [frame]);
    if (this.flushScheduled || this.busy.has(tag)) return;
    this.flushScheduled = true;
    setImmediate(this.flushQueued);
  }

  /**
   * Publishes what is queued now and resolves once every publish so far, and what waited behind them, has settled
   * (before a node lets go).
   */
  async flush(): Promise<void> {
    this.flushQueued();
    if (this.inFlight > 0) await new Promise<void>((resolve) => this.drained.push(resolve));
  }

  private readonly flushQueued = (): void => {
    this.flushScheduled = false;
    for (const [tag, frames] of this.outbox) {
      if (this.busy.has(tag)) continue;
      this.outbox.delete(tag);
      this.publish(tag, frames);
    }
  };

  private publish(tag: string, frames: ClusterFrame[]): void {
    const payload = this.encode(tag, frames);
    if (!payload) return;
    const channel = this.channelOf(tag);
    const sent = (this.options.sharded ? this.pub.spublish(channel, payload) : this.pub.publish(channel, payload)) as Promise<number>;
    const publish: InFlightPublish = { tag, frames, deadline: Date.now() + this.options.publishTimeoutMs, settled: false, next: undefined };
    this.busy.add(tag);
    if (this.newest) this.newest.next = publish;
    else this.oldest = publish;
    this.newest = publish;
    this.inFlight++;
    // Unref'd: a bound alone keeps no process alive (the Redis connection does, while a publish is in flight).
    this.boundTimer ??= setTimeout(this.checkBounds, this.options.publishTimeoutMs).unref();
    sent.then(
      // Nobody subscribes that channel: the node is gone (died, or shut down since the id was handed out).
      (receivers) => this.settle(publish, receivers === 0 ? 'PEER_DISCONNECTED' : undefined),
      () => this.settle(publish, 'STORE_UNAVAILABLE'),
    );
  }

  /**
   * A publish answered, failed or timed out (whichever came first counts); its frames fail with `failure`, if any.
   * What waited for it goes now, in one publish; unless Redis failed it (STORE_UNAVAILABLE): that fails with it.
   */
  private settle(publish: InFlightPublish, failure: FrameFailure | undefined): void {
    if (publish.settled) return;
    publish.settled = true;
    this.inFlight--;
    let oldest = this.oldest;
    while (oldest?.settled) oldest = oldest.next;
    this.oldest = oldest;
    if (!oldest) this.newest = undefined;
    const { tag } = publish;
    this.busy.delete(tag);
    if (failure) this.failAll(tag, publish.frames, failure);
    const waiting = this.outbox.get(tag);
    if (waiting) {
      this.outbox.delete(tag);
      if (failure === 'STORE_UNAVAILABLE') this.failAll(tag, waiting, failure);
      else this.publish(tag, waiting);
    }
    if (this.inFlight > 0 || this.drained.length === 0) return;
    const drained = this.drained;
    this.drained = [];
    for (const resolve of drained) resolve();
  }

  /**
   * The bound timer fired: publishes past their deadline fail with STORE_UNAVAILABLE (Redis hangs), and the timer is
   * armed again for the oldest one left. The I/O already waiting is read first (`setImmediate` runs after the event
   * loop's poll phase): on a busy event loop a timer fires late, and answers may be in already; they must win.
   */
  private readonly checkBounds = (): void => {
    setImmediate(() => {
      this.boundTimer = undefined;
      const now = Date.now();
      for (let publish = this.oldest; publish && publish.deadline <= now; publish = this.oldest) {
        this.settle(publish, 'STORE_UNAVAILABLE');
      }
      if (this.oldest) this.boundTimer = setTimeout(this.checkBounds, Math.max(0, this.oldest.deadline - now)).unref();
    });
  };

  /** One serialization for the whole batch; only if that fails, frame by frame, to single out the ones that cannot go. */
  private encode(tag: string, frames: ClusterFrame[]): Buffer | undefined {
    try {
      return serialize(frames);
    } catch {
      const encodable = frames.filter((frame) => {
        try {
          serialize(frame);
          return true;
        } catch {
          this.handlers.onFailed(frame, 'INVALID_PAYLOAD', tag);
          return false;
        }
      });
      if (encodable.length === 0) return undefined;
      frames.splice(0, frames.length, ...encodable);
      return serialize(frames);
    }
  }

  private failAll(tag: string, frames: ClusterFrame[], failure: FrameFailure): void {
    for (const frame of frames) this.handlers.onFailed(frame, failure, tag);
  }

  private receive(message: Buffer): void {
    let frames: unknown;
    try {
      frames = deserialize(message);
    } catch {
      return;
    }
    if (Array.isArray(frames)) this.handlers.onFrames(frames as ClusterFrame[]);
  }

  private channelOf(tag: string): string {
    return `${this.options.keyPrefix}#node#${tag}`;
  }
}
