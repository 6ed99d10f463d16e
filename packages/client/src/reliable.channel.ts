import { P2P_FRAME_CAPABILITY_E2E, P2P_FRAME_CAPABILITY_STREAMS as STREAMS, P2pError, type P2pErrorCode } from 'nest-p2p-gateway-protocol';
import type { P2pFrame } from 'nest-p2p-gateway-protocol';
import { ChannelAcks } from './channel.acks.js';
import type { ChannelSealer } from './channel-sealer.interface.js';
import type { FramePath } from './frame-path.interface.js';
import { handOn } from './inbound.delivery.js';
import { FRAME_OVERHEAD_BYTES, bytesOf, controlFrameOf, frameOf, unbatch, wholeBatches } from './outgoing.frame.js';
import { MAX_REFUSAL_BACKOFF_MS, PERMANENT_REFUSALS } from './frame.refusal.js';
import { estimateBytes } from './payload-size.estimate.js';
import type { ResolvedReliableOptions } from './reliable-channel.options.js';
import type { OutgoingMessage, ReliableChannelHost } from './reliable-channel-host.interface.js';
import { SealedInbox } from './sealed.inbox.js';
import type { SendPacer } from './send.pacer.js';

// The messages it keeps and what it needs from its owner are declared beside it; importers find them here too.
export type { OutgoingMessage, ReliableChannelHost } from './reliable-channel-host.interface.js';

/**
 * The reliable channel between two paired protocol-3 clients, one instance per pairing and side. It makes delivery
 * exactly once and in order over any path that may lose frames (a connection cut, a server that refuses, a node that
 * dies), without the server holding anything that only it holds:
 * - every message of a direction gets the next sequence number, and stays here until the peer confirms it;
 * - the receiver delivers only the next number in order, drops duplicates and gaps, and confirms cumulatively
 *   (every `ackEvery` messages, or `ackDelayMs` after the first unconfirmed one, or on its next frame);
 * - the sender sends again from the first unconfirmed message after a resume (`y` sync), after a refusal from the
 *   server (with backoff), or when nothing was confirmed for `retransmitMs` (Go-Back-N: the receiver keeps no gaps);
 * - at most `window` messages and bytes are in flight; beyond it messages wait here, up to `queue` more.
 */
export class ReliableChannel {
  /** Unconfirmed messages in sequence order; the first `sentCount` went out on the current path. */
  private outgoing: OutgoingMessage[] = [];
  private sentCount = 0;
  private inFlightBytes = 0;
  private totalBytes = 0;
  private nextSeq = 1;
  /** The last message from the peer delivered in order. */
  private received = 0;
  /** Messages delivered since this side last told the peer `received`. */
  private ackOwed = 0;
  private path?: FramePath;
  /** Keeps frames under the server's relay rates on the current path, when it has any. */
  private pacer?: SendPacer;
  private paceTimer?: ReturnType<typeof setTimeout>;
  /** Waiting for the peer's answer to this side's sync (`y: 1`): nothing new is sent meanwhile. */
  private syncing = false;
  private needDrain = false;
  private closed = false;
  private ackTimer?: ReturnType<typeof setTimeout>;
  private retransmitTimer?: ReturnType<typeof setTimeout>;
  private retransmitMs: number;
  /** After a passing refusal, until the peer confirms again: one frame (a probe) per backoff period, not a window. */
  private congested = false;
  /** While congested: the pause before the next probe. */
  private backoffTimer?: ReturnType<typeof setTimeout>;
  private backoffMs: number;
  private peerCapabilities?: number;
  /** What this side can do, on every frame it sends (`k`): the peer learns it from any frame, acknowledgements too. */
  private readonly capabilities: number;
  /** End-to-end encryption: opens the peer's numbered frames before they count as received. */
  private readonly inbox?: SealedInbox;
  /** Acknowledgements both ways (authenticated with end-to-end encryption). */
  private readonly acks: ChannelAcks;

  /** With `sealer`, every message is sealed end to end (docs/e2e.md) and the peer's are opened. */
  constructor(
    private readonly host: ReliableChannelHost,
    private readonly options: ResolvedReliableOptions,
    private readonly sealer?: ChannelSealer,
  ) {
    this.retransmitMs = options.retransmitMs;
    this.backoffMs = options.refusalBackoffMs;
    this.capabilities = STREAMS | (sealer ? P2P_FRAME_CAPABILITY_E2E | (sealer.capabilities ?? 0) : 0);
    const accept = (frame: P2pFrame) => (this.accept(frame), this.host.moved?.());
    const [received, closed, sendAck] = [() => this.received, () => this.closed, () => this.sendControl({})];
    this.inbox = sealer && new SealedInbox(sealer, { received, closed, accept });
    this.acks = new ChannelAcks(sealer, { received, closed, sendAck, confirmUpTo: (seq) => this.confirmUpTo(seq) });
  }

  /** Unconfirmed messages (sent or waiting), replies included. */
  get unconfirmed(): number {
    return this.outgoing.length;
  }

  /** Messages waiting here that have not gone out on the current path yet. */
  get unsent(): number {
    return this.outgoing.length - this.sentCount;
  }

  /** Estimated bytes of the unconfirmed messages (sent or waiting). */
  get unconfirmedBytes(): number {
    return this.totalBytes;
  }

  /** Whether the peer takes streams, from the `k` of its last frame; undefined before its first frame. */
  get peerStreams(): boolean | undefined {
    return this.peerCan(STREAMS);
  }

  /** Whether the peer seals end to end, from the `k` of its last frame; undefined before its first frame. */
  get peerE2e(): boolean | undefined {
    return this.peerCan(P2P_FRAME_CAPABILITY_E2E);
  }

  /** Whether the peer can do `capability` (a bit of `k`), from its last frame; undefined before its first frame. */
  peerCan(capability: number): boolean | undefined {
    return this.peerCapabilities === undefined ? undefined : (this.peerCapabilities & capability) !== 0;
  }

  /** Whether a new message would still fit in the send window. */
  get writable(): boolean {
    return this.outgoing.length < this.options.windowMessages && this.totalBytes < this.options.windowBytes;
  }

  /**
   * Takes a message of the app. Returns its sequence number and whether the unconfirmed messages are still within the
   * send window (false: wait for `drain`), or BUFFER_FULL when even the queue behind the window is full.
   */
  send(event: string, args: unknown[], wantsReply: boolean): { seq: number; belowWindow: boolean } | P2pError {
    const bytes = event.length + estimateBytes(args);
    const { windowMessages, windowBytes, queueMessages, queueBytes } = this.options;
    if (this.outgoing.length >= windowMessages + queueMessages || this.totalBytes + bytes > windowBytes + queueBytes) {
      this.needDrain = true;
      return new P2pError('BUFFER_FULL', 'the send queue is full: wait for the drain event before sending more', event);
    }
    const seq = this.enqueue({ seq: this.nextSeq, event, args, wantsReply, bytes });
    const belowWindow = this.writable;
    if (!belowWindow) this.needDrain = true;
    return { seq, belowWindow };
  }

  /**
   * The path to the peer is up (again), with the pacer of its rates. With `sync`, the peer is asked what it lacks
   * before anything is resent.
   */
  attach(path: FramePath, sync: boolean, pacer?: SendPacer): void {
    if (this.closed) return;
    this.path = path;
    this.pacer = pacer;
    this.goBack(0);
    if (sync) this.startSync();
    else this.pump();
  }

  /** The path went down (connection lost): nothing is sent until `attach`. What was in flight will be sent again. */
  detach(): void {
    this.path = undefined;
    this.syncing = false;
    this.goBack(0);
    this.clearTimers();
  }

  /** A frame from the peer. */
  receive(frame: P2pFrame): void {
    if (this.closed || typeof frame !== 'object' || frame === null) return;
    this.peerCapabilities = typeof frame.k === 'number' ? frame.k : 0;
    if (typeof frame.c === 'number') this.acks.take(frame.c, frame.t, this.outgoing, this.sentCount);
    if (typeof frame.s === 'number') this.receiveNumbered(frame);
    // `y: 1`, the peer resumed: it has nothing in flight from this side any more, so everything unconfirmed goes again.
    if (frame.y === 1) this.sendControl({ y: 2 });
    if (frame.y === 1 || (frame.y === 2 && this.syncing)) {
      if (this.syncing) this.endSync();
      this.endCongestion();
      this.goBack(0);
      this.pump();
    }
    this.host.moved?.();
  }

  /**
   * The server refused one of this side's frames. Lasting causes (too large, not encodable) turn the message into a
   * skipped number and tell the app; passing ones (peer away or slow, rates, Redis) send it again after a backoff.
   */
  refusedByServer(seq: number | undefined, code: P2pErrorCode, message: string): void {
    if (this.closed || seq === undefined) {
      // A control frame (ack or sync) was refused: the retransmit timer recovers from it.
      this.armRetransmit();
      return;
    }
    const index = seq - (this.outgoing[0]?.seq ?? seq + 1);
    if (index < 0 || index >= this.outgoing.length) return;
    const refused = this.outgoing[index]!;
    this.goBack(index);
    if (PERMANENT_REFUSALS.has(code) && refused.skipped === undefined) {
      // A sealed batch refused for good: each of its messages becomes a skipped number (none can be sealed again).
      for (const each of unbatch(this.outgoing, index)) {
        each.skipped = code;
        this.sealer?.skip?.(each, () => this.pump());
        this.totalBytes -= each.bytes;
        each.bytes = 0;
        this.host.refused(each, new P2pError(code, message, each.event));
      }
      this.pump();
      return;
    }
    this.congested = true;
    this.holdOff(true);
  }

  /** Tells the peer at once what arrived, rather than after `ackDelayMs` (before this side unpairs, say). */
  flushAck(): void {
    if (this.ackOwed > 0 || this.ackTimer) this.sendControl({});
  }

  /**
   * Ends the channel (the pairing ended). Returns the messages the peer never confirmed, in order: the caller reports
   * them. Replies and skipped numbers are left out.
   */
  close(): OutgoingMessage[] {
    if (this.closed) return [];
    this.closed = true;
    this.path = undefined;
    this.clearTimers();
    const unconfirmed = this.outgoing.filter((message) => message.event !== undefined && message.skipped === undefined);
    this.outgoing = [];
    this.totalBytes = this.inFlightBytes = this.sentCount = 0;
    return unconfirmed;
  }

  /** Sends the app's reply to the peer's message `replyTo`, as a numbered message of its own. */
  private reply(replyTo: number, results: unknown[]): void {
    if (this.closed) return;
    this.enqueue({ seq: this.nextSeq, args: results, wantsReply: false, replyTo, bytes: estimateBytes(results) });
  }

  private enqueue(message: OutgoingMessage): number {
    this.nextSeq++;
    this.sealer?.admit(message, () => this.pump());
    this.outgoing.push(message);
    this.totalBytes += message.bytes;
    this.pump();
    return message.seq;
  }

  private receiveNumbered(frame: P2pFrame): void {
    const seq = frame.s!;
    if (seq !== (this.inbox?.accepted ?? this.received) + 1) {
      // A duplicate (sent again before our ack reached the peer) or a gap (an earlier frame was lost): either way,
      // tell the peer where this side stands, soon, once for a whole run of them.
      this.scheduleAck(false);
      return;
    }
    // Sealed: counted as received once opened (a forgery is never counted in place of the peer's message).
    if (this.inbox) this.inbox.take(frame);
    else this.accept(frame);
  }

  /** The peer's next message in order, in the clear: counted as received and handed on. */
  private accept(frame: P2pFrame): void {
    this.received = frame.s!;
    this.ackOwed++;
    this.scheduleAck(this.ackOwed >= this.options.ackEvery);
    handOn(frame, this.host, (seq, results) => this.reply(seq, results));
  }

  /** The peer has every message of this side up to `seq`: they leave the window. */
  private confirmUpTo(seq: number): void {
    const first = this.outgoing[0];
    if (!first || seq < first.seq) return;
    const count = wholeBatches(this.outgoing, Math.min(seq - first.seq + 1, this.outgoing.length));
    let bytes = 0;
    for (let i = 0; i < count; i++) bytes += this.outgoing[i]!.bytes;
    this.outgoing.splice(0, count);
    this.totalBytes -= bytes;
    if (count >= this.sentCount) {
      this.sentCount = 0;
      this.inFlightBytes = 0;
    } else {
      this.sentCount -= count;
      this.inFlightBytes -= bytes;
    }
    // Progress: the peer and the path are alive, so the timers start over from their shortest.
    this.retransmitMs = this.options.retransmitMs;
    this.endCongestion();
    clearTimeout(this.retransmitTimer);
    this.retransmitTimer = undefined;
    if (this.needDrain && this.writable) {
      this.needDrain = false;
      this.host.drain();
    }
    if (this.outgoing.length === 0) this.host.confirmed();
    this.pump();
  }

  /** Sends what the window allows, in order, each frame carrying this side's acknowledgement. */
  private pump(): void {
    const path = this.path;
    if (!path || this.syncing || this.backoffTimer || this.paceTimer || this.closed) return;
    const { windowMessages, windowBytes } = this.options;
    const limit = this.congested ? Math.min(this.sentCount + 1, windowMessages) : windowMessages;
    while (this.sentCount < this.outgoing.length) {
      if (this.sentCount >= limit || (this.sentCount > 0 && this.inFlightBytes >= windowBytes)) break;
      const message = this.outgoing[this.sentCount]!;
      // A message of a sealed batch goes only inside its batch's frame (which starts at its first message).
      if (message.held || message.batched) break;
      const count = message.batchSize ?? 1;
      const bytes = count === 1 ? message.bytes : bytesOf(this.outgoing, this.sentCount, count);
      const wait = this.pacer?.take(bytes + FRAME_OVERHEAD_BYTES) ?? 0;
      if (wait > 0) {
        this.paceTimer = setTimeout(() => {
          this.paceTimer = undefined;
          this.pump();
        }, wait);
        break;
      }
      if (!path.send(frameOf(message, this.received, this.capabilities, this.acks.tag()))) {
        path.onceWritable?.(() => this.path === path && this.pump());
        break;
      }
      this.sentCount += count;
      this.inFlightBytes += bytes;
      this.ackSent();
    }
    if (this.sentCount > 0) this.armRetransmit();
    // A probe went out: the next one waits a backoff period, whether or not this one is refused.
    if (this.congested && this.sentCount === limit) this.holdOff(false);
    this.host.moved?.();
  }

  /** Forget that the messages from `index` on were sent: they go out again. */
  private goBack(index: number): void {
    while (index > 0 && this.outgoing[index]?.batched) index--;
    if (index >= this.sentCount) return;
    this.sentCount = index;
    this.inFlightBytes = this.outgoing.slice(0, index).reduce((sum, message) => sum + message.bytes, 0);
  }

  private startSync(): void {
    this.syncing = true;
    this.sendControl({ y: 1 });
    this.armRetransmit();
  }

  private endSync(): void {
    this.syncing = false;
    clearTimeout(this.retransmitTimer);
    this.retransmitTimer = undefined;
  }

  private sendControl(frame: P2pFrame): void {
    if (!this.path) return;
    if (!this.path.send(controlFrameOf(frame, this.received, this.capabilities, this.acks.tag()))) return;
    this.pacer?.spend(FRAME_OVERHEAD_BYTES);
    this.ackSent();
  }

  private ackSent(): void {
    this.ackOwed = 0;
    clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
  }

  private scheduleAck(now: boolean): void {
    if (now) return this.sendControl({});
    this.ackTimer ??= setTimeout(() => {
      this.ackTimer = undefined;
      this.sendControl({});
    }, this.options.ackDelayMs);
  }

  /**
   * Nothing confirmed for a while with messages in flight (or a sync unanswered): send again from the first
   * unconfirmed one. The wait doubles each time nothing moves, up to `maxRetransmitMs`.
   */
  private armRetransmit(): void {
    if (this.retransmitTimer || this.closed || !this.path) return;
    this.retransmitTimer = setTimeout(() => {
      this.retransmitTimer = undefined;
      this.retransmitMs = Math.min(this.retransmitMs * 2, this.options.maxRetransmitMs);
      if (this.syncing) return this.startSync();
      this.goBack(0);
      this.pump();
    }, this.retransmitMs);
  }

  /** While congested: send nothing for a backoff period (longer after each refusal), then one probe. */
  private holdOff(refused: boolean): void {
    if (refused) this.backoffMs = Math.min(this.backoffMs * 2, MAX_REFUSAL_BACKOFF_MS);
    if (this.backoffTimer) return;
    this.backoffTimer = setTimeout(() => {
      this.backoffTimer = undefined;
      this.pump();
    }, this.backoffMs);
  }

  private endCongestion(): void {
    this.congested = false;
    this.backoffMs = this.options.refusalBackoffMs;
    clearTimeout(this.backoffTimer);
    this.backoffTimer = undefined;
  }

  private clearTimers(): void {
    clearTimeout(this.ackTimer);
    clearTimeout(this.retransmitTimer);
    clearTimeout(this.backoffTimer);
    clearTimeout(this.paceTimer);
    this.ackTimer = this.retransmitTimer = this.backoffTimer = this.paceTimer = undefined;
  }
}
