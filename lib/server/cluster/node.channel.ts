import { deserialize, serialize } from 'node:v8';
import { withinCommandBound } from '../stores/redis/command.bound.js';
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

/**
 * Moves frames between gateway nodes over Redis pub/sub, one channel per node: a node receives only what is addressed
 * to it. Frames posted for one node within an event-loop turn are published together, as one V8-serialized array
 * (binary values included), after the turn's I/O callbacks ran (`setImmediate`). Each publish has a bound
 * (`publishTimeoutMs`), so a Redis that hangs fails it within that. Knows nothing of what frames mean.
 */
export class NodeChannel {
  readonly channel: string;
  private readonly channelBytes: Buffer;
  private handlers = IGNORE;
  /** Frames waiting for the end of the turn, by the tag of the node they go to. */
  private readonly outbox = new Map<string, ClusterFrame[]>();
  private flushScheduled = false;
  private readonly publishing = new Set<Promise<void>>();

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

  /** Queues `frame` for the node tagged `tag`; it leaves with the others bound there at the end of this turn. */
  post(tag: string, frame: ClusterFrame): void {
    const queued = this.outbox.get(tag);
    if (queued) queued.push(frame);
    else this.outbox.set(tag, [frame]);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(this.flushQueued);
  }

  /** Publishes what is queued now and resolves once every publish so far has settled (before a node lets go). */
  async flush(): Promise<void> {
    this.flushQueued();
    while (this.publishing.size > 0) await Promise.all(this.publishing);
  }

  private readonly flushQueued = (): void => {
    this.flushScheduled = false;
    if (this.outbox.size === 0) return;
    const batches = [...this.outbox];
    this.outbox.clear();
    for (const [tag, frames] of batches) this.publish(tag, frames);
  };

  private publish(tag: string, frames: ClusterFrame[]): void {
    const payload = this.encode(tag, frames);
    if (!payload) return;
    const channel = this.channelOf(tag);
    const sent = withinCommandBound(
      (this.options.sharded ? this.pub.spublish(channel, payload) : this.pub.publish(channel, payload)) as Promise<number>,
      this.options.publishTimeoutMs,
    );
    const settled: Promise<void> = sent.then(
      (receivers) => {
        // Nobody subscribes that channel: the node is gone (died, or shut down since the id was handed out).
        if (receivers === 0) this.failAll(tag, frames, 'PEER_DISCONNECTED');
      },
      () => this.failAll(tag, frames, 'STORE_UNAVAILABLE'),
    );
    this.publishing.add(settled);
    void settled.finally(() => this.publishing.delete(settled));
  }

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
