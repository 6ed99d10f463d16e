import {
  P2P_RELIABLE_PROTOCOL,
  P2pError,
  P2pEvent,
  type P2pFrame,
  type RelayRates,
  type SessionPayload,
  isReservedEventName,
} from 'nest-p2p-gateway-protocol';
import type { P2pClientSocket } from './client-socket.interface.js';
import type { FlowControlWaiters } from './flow-control.waiters.js';
import type { FramePath } from './frame-path.interface.js';
import type { GatewayCall } from './gateway.requests.js';
import type { MessageDispatcher } from './message.dispatcher.js';
import type { ChannelSealer } from './channel-sealer.interface.js';
import type { ClientPart } from './client-part.interface.js';
import type { ClientEventSink, UndeliveredMessage } from './p2p-client.events.js';
import { EarlyFrames } from './early-frames.buffer.js';
import { frameRefusal } from './frame.refusal.js';
import { type OutgoingMessage, ReliableChannel, type ReliableChannelHost } from './reliable.channel.js';
import type { ResolvedReliableOptions } from './reliable-channel.options.js';
import { SendPacer } from './send.pacer.js';

interface PendingReply {
  resolve: (results: unknown[]) => void;
  reject: (error: P2pError) => void;
  timer: ReturnType<typeof setTimeout>;
}

/** What the link needs from the client around it. */
export interface ReliableLinkHost {
  /** The client's parts (`ClientPart`): their own messages, refusals and the channel's movements go to them. */
  parts(): readonly ClientPart[];
  /** The peer of the current pairing, if any: a plain relay (protocol 2) names it. */
  peerId(): string | undefined;
  /** Ends the current pairing's direct path (DirectPathControl). */
  stopDirect(): void;
  /**
   * Whether the server may have paired this client before it read the server's answer (PairingMachine): a frame that
   * comes then, without a channel yet, is the peer's and is held for the channel.
   */
  awaitingOwnAnswer(): boolean;
}

/** The link's fixed parts, from the client's options. */
export interface ReliableLinkSetup {
  readonly socket: Pick<P2pClientSocket, 'connected' | 'emit'>;
  /** The reliable channel's options; undefined when this client speaks protocol 2 (`reliable: false`). */
  readonly reliableOptions: ResolvedReliableOptions | undefined;
  readonly ackTimeoutMs: number;
  readonly call: GatewayCall;
  readonly dispatcher: MessageDispatcher;
  readonly waiters: FlowControlWaiters;
  readonly emitLocal: ClientEventSink;
  /** End-to-end encryption: seals every channel this link opens; without a channel nothing of the app is sent. */
  readonly sealer?: ChannelSealer | undefined;
}

/**
 * The host of the current pairing's reliable channel: opens it when both sides speak protocol 3 and closes it when
 * the pairing ends, carries its frames through the gateway (the relay path, paced under the connection's relay
 * rates, one pacer per connection), holds the peer's frames that come before the channel opens (`EarlyFrames`), hands
 * the peer's messages to the `MessageDispatcher`, keeps the replies awaited by `emitWithAck`, and sends the app's
 * messages: over the channel, or as plain relays without one.
 */
export class ReliableLink {
  /** The current pairing's reliable channel, when both sides speak protocol 3. */
  private currentChannel?: ReliableChannel;
  /** `emitWithAck`s over the reliable channel awaiting the peer's reply, by message number. */
  private readonly pendingReplies = new Map<number, PendingReply>();
  /** The peer's frames that arrive before this client has read the server's answer to its pairing. */
  private readonly earlyFrames?: EarlyFrames;
  /**
   * The pacer of the current connection, under the relay rates of its P2P_SESSION. One per connection, as the server
   * keeps one set of buckets per connection: every relayed frame of the pairing draws on it, across falls back from a
   * direct path too (a fresh, full pacer at each fallback would spend again what the server's buckets no longer hold).
   */
  private relayPacer?: SendPacer;
  private readonly socket: ReliableLinkSetup['socket'];
  private readonly reliableOptions: ResolvedReliableOptions | undefined;
  private readonly ackTimeoutMs: number;
  private readonly call: GatewayCall;
  private readonly dispatcher: MessageDispatcher;
  private readonly waiters: FlowControlWaiters;
  private readonly emitLocal: ClientEventSink;
  private readonly sealer?: ChannelSealer | undefined;

  constructor(
    setup: ReliableLinkSetup,
    private readonly host: ReliableLinkHost,
  ) {
    this.socket = setup.socket;
    this.reliableOptions = setup.reliableOptions;
    this.earlyFrames = setup.reliableOptions && new EarlyFrames(setup.reliableOptions);
    this.ackTimeoutMs = setup.ackTimeoutMs;
    this.call = setup.call;
    this.dispatcher = setup.dispatcher;
    this.waiters = setup.waiters;
    this.emitLocal = setup.emitLocal;
    this.sealer = setup.sealer;
  }

  /** The current pairing's reliable channel, if any. */
  get channel(): ReliableChannel | undefined {
    return this.currentChannel;
  }

  /** Opens the pairing's reliable channel, on the relay, when both sides speak protocol 3; returns it, if any. */
  open(peerProtocol: number): ReliableChannel | undefined {
    if (this.reliableOptions && peerProtocol >= P2P_RELIABLE_PROTOCOL) {
      this.currentChannel = new ReliableChannel(this.channelHost, this.reliableOptions, this.sealer);
      this.currentChannel.attach(this.relayPath, false, this.pacer());
      return this.currentChannel;
    }
    return undefined;
  }

  /** A new connection, with the relay rates of its P2P_SESSION. */
  sessionStarted(rates: SessionPayload['rates']): void {
    // Each connection has rate limits of its own on the server, starting full: so does its pacer.
    this.relayPacer = typeof rates === 'object' && rates !== null ? new SendPacer(rates as RelayRates) : undefined;
  }

  /** The peer's frames held while this client awaited the server's answer, in arrival order; none are held afterwards. */
  takeEarlyFrames(): P2pFrame[] {
    return this.earlyFrames?.take() ?? [];
  }

  /** Hands the peer's early frames (`takeEarlyFrames`) to the channel, once it is open: delivered now, not resent. */
  deliverEarlyFrames(frames: readonly P2pFrame[]): void {
    for (const frame of frames) this.channel?.receive(frame);
  }

  /** The connection came back: frames in flight on the lost one may be gone either way, so both sides resend. */
  resume(): void {
    this.channel?.attach(this.relayPath, true, this.pacer());
  }

  /** Sends `event(...args)` to the peer; see `P2pClient.emit`. */
  emit(event: string, args: unknown[]): boolean {
    const channel = this.channel;
    if (!channel && this.sealer) {
      // End-to-end encryption: nothing of the app goes without a (sealed) channel, not even to be refused.
      queueMicrotask(() => this.emitLocal('error', this.unsealed(event)));
      return false;
    }
    if (!channel) {
      this.socket.emit(P2pEvent.EMIT, this.relayPayload(event, args));
      return true;
    }
    const sent = this.refuseLocally(event) ?? channel.send(event, args, false);
    if (sent instanceof P2pError) {
      // Like a refusal from the server, it arrives after `emit` has returned.
      queueMicrotask(() => this.emitLocal('error', sent));
      return false;
    }
    return sent.belowWindow;
  }

  /** Relays `event(...args)` with an ack; resolves with every value the peer passed to its callback. */
  async relayWithAck(event: string, args: unknown[]): Promise<unknown[]> {
    if (this.channel) return this.reliableRelayWithAck(this.channel, event, args);
    if (this.sealer) throw this.unsealed(event);
    const [error, ...results] = await this.call(P2pEvent.EMIT_ACKNOWLEDGE, [this.relayPayload(event, args)], this.ackTimeoutMs);
    if (error !== null && error !== undefined) throw P2pError.fromPayload(error);
    return results;
  }

  /** The pacer for the reliable channel on the current connection (undefined when the server announced no rates). */
  pacer(): SendPacer | undefined {
    return this.relayPacer;
  }

  /** Ends the current reliable channel: unconfirmed messages are reported, awaited replies rejected with `error`. */
  close(error: P2pError): void {
    const channel = this.channel;
    this.currentChannel = undefined;
    // With the channel gone first, the upgrade's stop moves nothing back to the relay: the pairing is over.
    this.host.stopDirect();
    if (!channel) return;
    const parts = this.host.parts();
    // The parts' own messages (stream chunks, say) are theirs to report: the app is told of its own.
    const unconfirmed = channel.close().filter((message) => !parts.some((part) => part.owns?.(message.event)));
    for (const [seq, pending] of this.pendingReplies) {
      this.pendingReplies.delete(seq);
      clearTimeout(pending.timer);
      pending.reject(new P2pError(error.code, error.message, P2pEvent.EMIT_ACKNOWLEDGE));
    }
    this.waiters.wakeDrained();
    this.waiters.wakeConfirmed();
    if (unconfirmed.length > 0) this.emitLocal('undelivered', unconfirmed.map(toUndelivered), error);
  }

  readonly onFrame = (frame: unknown): void => {
    if (typeof frame !== 'object' || frame === null) return;
    if (this.channel) this.channel.receive(frame as P2pFrame);
    // Paired by the server, this client has not read its answer yet: the only peer the frame can come from is that one.
    else if (this.host.awaitingOwnAnswer()) this.earlyFrames?.hold(frame as P2pFrame);
  };

  readonly onServerError = (payload: unknown): void => {
    if ((payload as { event?: unknown } | null)?.event === P2pEvent.FRAME) {
      // A refused frame of the reliable channel: the channel sends it again (or reports it), the app is not bothered.
      const refusal = frameRefusal(payload);
      if (refusal) this.channel?.refusedByServer(refusal.seq, refusal.code, refusal.message);
      return;
    }
    this.emitLocal('error', P2pError.fromPayload(payload));
  };

  /** The gateway as the reliable channel's path: frames go out only on a connected socket (none pile up meanwhile). */
  readonly relayPath: FramePath = {
    send: (frame) => {
      if (!this.socket.connected) return false;
      this.socket.emit(P2pEvent.FRAME, frame);
      return true;
    },
  };

  private readonly channelHost: ReliableChannelHost = {
    deliver: (event, args, reply) => this.dispatcher.dispatch(event, args, reply),
    replied: (seq, results) => {
      const pending = this.pendingReplies.get(seq);
      if (!pending) return;
      this.pendingReplies.delete(seq);
      clearTimeout(pending.timer);
      pending.resolve(results);
    },
    refused: (message, error) => {
      if (this.host.parts().some((part) => part.refused?.(message.event ?? '', message.args, error))) return;
      const pending = this.pendingReplies.get(message.seq);
      if (!pending) return this.emitLocal('error', error);
      this.pendingReplies.delete(message.seq);
      clearTimeout(pending.timer);
      pending.reject(error);
    },
    drain: () => {
      this.waiters.wakeDrained();
      this.emitLocal('drain');
    },
    confirmed: () => {
      this.waiters.wakeConfirmed();
    },
    moved: () => {
      for (const part of this.host.parts()) part.moved?.();
    },
  };

  private relayPayload(event: string, args: unknown[]) {
    const peerId = this.host.peerId();
    return peerId === undefined ? { event, args } : { targetClientId: peerId, event, args };
  }

  /** Why an app message cannot go with end-to-end encryption on and no channel. */
  private unsealed(event: string): P2pError {
    if (this.host.peerId() === undefined) return new P2pError('NOT_PAIRED', undefined, event);
    return new P2pError('E2E_REQUIRED', 'end-to-end encryption needs the reliable channel with the peer', event);
  }

  private refuseLocally(event: string): P2pError | undefined {
    if (typeof event !== 'string' || event.length === 0) return new P2pError('INVALID_PAYLOAD', 'event must be a non-empty string', event);
    if (isReservedEventName(event)) return new P2pError('RESERVED_EVENT', `"${event}" is reserved`, event);
    return undefined;
  }

  private reliableRelayWithAck(channel: ReliableChannel, event: string, args: unknown[]): Promise<unknown[]> {
    const refused = this.refuseLocally(event);
    if (refused) return Promise.reject(refused);
    return new Promise((resolve, reject) => {
      const sent = channel.send(event, args, true);
      if (sent instanceof P2pError) return reject(sent);
      const timer = setTimeout(() => {
        // The message itself stays in the channel: it is still delivered once; only its reply is no longer awaited.
        this.pendingReplies.delete(sent.seq);
        reject(new P2pError('ACK_TIMEOUT', undefined, event));
      }, this.ackTimeoutMs);
      this.pendingReplies.set(sent.seq, { resolve, reject, timer });
    });
  }
}

function toUndelivered(message: OutgoingMessage): UndeliveredMessage {
  return { event: message.event!, args: message.args };
}
