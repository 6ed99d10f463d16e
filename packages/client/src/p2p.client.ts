import {
  type ListClientsFilter,
  P2P_PROTOCOL_VERSION,
  P2P_RELIABLE_PROTOCOL,
  P2pDisconnectReason,
  P2pError,
  P2pEvent,
  type P2pFrame,
  type P2pTransport,
  type RelayRates,
  type SessionPayload,
  isReservedEventName,
  isStreamEventName,
} from 'nest-p2p-gateway-protocol';
import { type ClientWalkOptions, readClientListPage, walkClientList } from './client-list.pager.js';
import type { FramePath } from './frame-path.interface.js';
import type { P2pClientOptions } from './p2p-client.options.js';
import { type OutgoingMessage, ReliableChannel, type ReliableChannelHost, frameRefusal } from './reliable.channel.js';
import { type ResolvedReliableOptions, resolveReliableOptions } from './reliable-channel.options.js';
import { SendPacer } from './send.pacer.js';
import type { P2pClientSocket } from './client-socket.interface.js';
import { DEFAULT_SESSION_TIMEOUT_MS, GatewayWatch } from './gateway.watch.js';
import { randomSessionToken } from './session.token.js';
import { TypedEmitter } from './typed.emitter.js';
import { EarlyFrames } from './early-frames.buffer.js';
import type { P2pClientWebRtcOptions } from './webrtc/client-webrtc.options.js';
import { TransportSwitch } from './webrtc/transport.switch.js';
// streams (issue 22) >>>
import { StreamHub } from './streams/stream.hub.js';
import { channelStreamHost } from './streams/channel.stream-host.js';
import { resolveStreamOptions } from './streams/stream.options.js';
import type { IncomingStream } from './streams/incoming-stream.interface.js';
import type { SendStreamOptions, StreamReceipt } from './streams/outgoing.stream.js';
import type { StreamSource } from './streams/stream-source.reader.js';
// <<< streams

/** `resuming`: paired, with the connection lost; the server holds the pairing for a while (reconnect grace). */
export type P2pClientState = 'idle' | 'pairing' | 'asked' | 'paired' | 'resuming';

export interface P2pClientEvents {
  /** A pairing began: this client's request was accepted, or it accepted one. */
  paired: (peerId: string) => void;
  /** The connection came back within the server's grace period and the pairing with `peerId` carries on. */
  resumed: (peerId: string) => void;
  /** The pairing ended; `reason` is a P2pDisconnectReason or the host app's own. */
  unpaired: (peerId: string, reason: string) => void;
  /**
   * A pairing request arrived (before the consent hook decides). Settled by `request-withdrawn`, or by `paired` with
   * `sourceId` (this client consented, or its own `pair(sourceId)` crossed the request). A request from the client this
   * one is asking (crossing requests: the gateway pairs the two) is not announced unless that `pair()` fails.
   */
  request: (sourceId: string) => void;
  /**
   * The request from `sourceId` ended before this client answered it: `PAIR_TIMEOUT` (not answered within the
   * server's `pairTimeoutMs`), `DISCONNECTED` / `REPLACED` (the source left), `DISCONNECTED` too when this client's own
   * connection dropped. Close a consent prompt on it: its answer would be ignored.
   */
  'request-withdrawn': (sourceId: string, reason: string) => void;
  /** A failure with no promise to reject: a fire-and-forget relay, a legacy-style call, a consent that did not hold. */
  error: (error: P2pError) => void;
  /** Reliable channel: the unconfirmed messages are back within the send window after `emit` returned false. */
  drain: () => void;
  /**
   * Reliable channel: the pairing ended before the peer confirmed these messages, in the order they were sent. They
   * were not delivered, or their confirmation was lost with the pairing: nothing is dropped without this report.
   */
  undelivered: (messages: UndeliveredMessage[], error: P2pError) => void;
  /**
   * Option `webrtc`: the pairing's messages now go over a direct data channel (`'direct'`) or through the gateway
   * again (`'relay'`). Nothing is lost, duplicated or reordered across the switch.
   */
  transport: (transport: P2pTransport) => void;
  /** A stream from the peer (`sendStream`): accept or reject it, then read `incoming.readable`. None: refused. */
  stream: (incoming: IncomingStream) => void;
}

/** A message of this client that the peer never confirmed. */
export interface UndeliveredMessage {
  event: string;
  args: unknown[];
}

type Ack = (...args: unknown[]) => void;

/** A pairing request this client was asked, while it decides. */
interface IncomingRequest {
  sourceId: string;
  peerProtocol: number;
  peerWebRtc: boolean | undefined;
}

interface PendingReply {
  resolve: (results: unknown[]) => void;
  reject: (error: P2pError) => void;
  timer: ReturnType<typeof setTimeout>;
}

function peerProtocolOf(info: unknown): number {
  const declared = (typeof info === 'object' && info !== null ? (info as { peerProtocol?: unknown }).peerProtocol : undefined) ?? 1;
  return typeof declared === 'number' ? declared : 1;
}

/** Whether the peer enabled WebRTC too; undefined when the gateway did not say (one older than the field). */
function peerWebRtcOf(info: unknown): boolean | undefined {
  const told = typeof info === 'object' && info !== null ? (info as { peerWebRtc?: unknown }).peerWebRtc : undefined;
  return typeof told === 'boolean' ? told : undefined;
}

/**
 * The client side of the pairing gateway, over a socket.io-client `Socket` (Node or browser). Create it right after
 * `io(...)`, before the socket connects: it adds its clientId, session token and protocol version to `socket.auth`.
 * Events relayed by the peer arrive on the socket itself: `client.socket.on('event', ...)`.
 */
export class P2pClient<S extends P2pClientSocket = P2pClientSocket> extends TypedEmitter<P2pClientEvents> {
  private currentPeer?: string;
  /** The request this client is being asked, while it decides and until the server has its answer. */
  private asked?: IncomingRequest;
  /** The target of this client's own request while its answer is awaited. */
  private pendingTarget?: string;
  /** A request from `pendingTarget` that crossed this client's own (the gateway pairs the two): asked if pair() fails. */
  private crossingRequest?: IncomingRequest;
  /** The source whose request this client has consented to, while the server's ack is awaited. */
  private consentingTo?: string;
  /**
   * A P2P_DISCONNECT naming the other side of a request whose ack is still awaited: the server made the pairing and
   * ended it before this client read the ack (both can arrive in one socket read, the notice handled first).
   */
  private endedBeforeAck?: { peerId: string; reason: string };
  private currentState: P2pClientState = 'idle';
  private readonly pairTimeoutMs: number;
  private readonly ackTimeoutMs: number;
  private readonly requestTimeoutMs: number;
  private readonly resumeTimeoutMs: number;
  private resumeTimer?: ReturnType<typeof setTimeout>;
  private readonly consent: (sourceId: string) => boolean | Promise<boolean>;
  /** The reliable channel's options; undefined when this client speaks protocol 2 (`reliable: false`). */
  private readonly reliableOptions?: ResolvedReliableOptions;
  /** The current pairing's reliable channel, when both sides speak protocol 3. */
  private channel?: ReliableChannel;
  /** The peer's frames that arrive before this client has read the server's answer to its pairing. */
  private readonly earlyFrames?: EarlyFrames;
  /** `emitWithAck`s over the reliable channel awaiting the peer's reply, by message number. */
  private readonly pendingReplies = new Map<number, PendingReply>();
  private readonly drainWaiters: Array<() => void> = [];
  /** Waiters for every message of this side to be confirmed (unpair), woken as the channel confirms or ends. */
  private readonly confirmedWaiters: Array<() => void> = [];
  /**
   * The pacer of the current connection, under the relay rates of its P2P_SESSION. One per connection, as the server
   * keeps one set of buckets per connection: every relayed frame of the pairing draws on it, across falls back from a
   * direct path too (a fresh, full pacer at each fallback would spend again what the server's buckets no longer hold).
   */
  private relayPacer?: SendPacer;
  private readonly gatewayWatch: GatewayWatch;
  /** Option `webrtc`; undefined when off. */
  private readonly webrtcOptions?: P2pClientWebRtcOptions;
  /**
   * This client's clientId, for the direct path's roles: the one the gateway admitted its connection under (protocol 3
   * P2P_SESSION), else the one it declared (option, or `socket.auth`).
   */
  private ownId?: string;
  /** The current pairing's transport, when `webrtc` is on and the pairing is reliable. */
  private transportSwitch?: TransportSwitch;
  private currentTransport: P2pTransport = 'relay';
  /**
   * Whether the current peer enabled WebRTC, as the gateway told (PeerInfo's `peerWebRtc`): false, and no direct path
   * is tried; undefined (a gateway that does not tell), and the offerer tries as it did before the field existed.
   */
  private peerWebRtc?: boolean;
  // streams (issue 22) >>>
  private readonly streams: StreamHub;
  // <<< streams

  /** `socket`: a socket.io-client 4.x `Socket` (any 4.x, ESM or CommonJS build); `client.socket` keeps its type. */
  constructor(
    readonly socket: S,
    options: P2pClientOptions = {},
  ) {
    super();
    this.pairTimeoutMs = options.pairTimeoutMs ?? 15_000;
    this.ackTimeoutMs = options.ackTimeoutMs ?? 15_000;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    this.resumeTimeoutMs = options.resumeTimeoutMs ?? 30_000;
    this.consent = options.consent ?? (() => true);
    this.reliableOptions = options.reliable === false ? undefined : resolveReliableOptions(options.reliable);
    this.earlyFrames = this.reliableOptions && new EarlyFrames(this.reliableOptions);
    this.gatewayWatch = new GatewayWatch(socket, options.sessionTimeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS, (e) => this.emitLocal('error', e));
    this.webrtcOptions = options.webrtc || undefined;
    this.ownId = options.clientId ?? declaredClientId(socket);
    this.declareIdentity(options.clientId, options.sessionToken ?? randomSessionToken());
    // streams (issue 22) >>>
    this.streams = new StreamHub(
      channelStreamHost({
        channel: () => this.channel,
        paired: () => this.currentState === 'paired',
        windowBytes: () => this.reliableOptions?.windowBytes ?? 0,
        announce: (incoming) => this.listenerCount('stream') > 0 && (this.emitLocal('stream', incoming), true),
      }),
      resolveStreamOptions(options.streams),
    );
    // <<< streams
    socket.on(P2pEvent.REGISTER, this.onPairRequest);
    socket.on(P2pEvent.FRAME, this.onFrame);
    socket.on(P2pEvent.DISCONNECT, this.onPeerGone);
    socket.on(P2pEvent.ERROR, this.onServerError);
    socket.on(P2pEvent.SESSION, this.onSession);
    socket.on('disconnect', this.onSocketDisconnect);
    socket.io.on('reconnect_failed', this.onReconnectFailed);
  }

  /** The clientId this client is paired with, if any. */
  get peerId(): string | undefined {
    return this.currentPeer;
  }

  get state(): P2pClientState {
    return this.currentState;
  }

  /** Whether the current pairing runs over the reliable channel (both sides speak protocol 3). */
  get reliable(): boolean {
    return this.channel !== undefined;
  }

  /**
   * Where the pairing's messages go: `'direct'` over a WebRTC data channel (option `webrtc`), else `'relay'` through
   * the gateway. Changes are told by the `transport` event.
   */
  get transport(): P2pTransport {
    return this.currentTransport;
  }

  /** Reliable channel: messages sent (or waiting to be) that the peer has not confirmed yet; 0 without a channel. */
  get unconfirmed(): number {
    return this.channel?.unconfirmed ?? 0;
  }

  /** Reliable channel: whether `emit` would still return true (the unconfirmed messages are within the window). */
  get writable(): boolean {
    return this.channel?.writable ?? true;
  }

  /** Asks `targetId` to pair. Rejects with a P2pError: TARGET_OFFLINE, TARGET_BUSY, PAIR_REFUSED, PAIR_TIMEOUT, ... */
  async pair(targetId: string): Promise<void> {
    const before = this.currentState;
    if (before === 'idle') this.currentState = 'pairing';
    this.pendingTarget = targetId;
    this.endedBeforeAck = undefined;
    try {
      const [ok, error, info] = await this.call(P2pEvent.REGISTER, [targetId], this.pairTimeoutMs);
      const ended = this.takeEndedBeforeAck(targetId);
      if (ok !== true) throw P2pError.fromPayload(error);
      // Paired with the target already (this client consented to its request meanwhile): nothing begins twice.
      if (this.currentState !== 'paired' || this.currentPeer !== targetId)
        this.becomePaired(targetId, peerProtocolOf(info), peerWebRtcOf(info));
      if (ended) this.becomeIdle(targetId, ended.reason);
    } catch (error) {
      if (this.currentState === 'pairing') this.currentState = 'idle';
      this.earlyFrames?.take();
      throw error;
    } finally {
      if (this.pendingTarget === targetId) this.pendingTarget = undefined;
      // Crossing requests paired the two, or this request failed: then the target's own request is asked as usual.
      const crossing = this.crossingRequest;
      this.crossingRequest = undefined;
      if (crossing?.sourceId === targetId && this.currentState === 'idle') this.askConsent(crossing);
    }
  }

  /**
   * Leaves the current pairing; the peer gets `P2P_DISCONNECT`. Rejects with NOT_PAIRED if there was none. Over the
   * reliable channel it first waits (up to `requestTimeoutMs`) for the peer to confirm what was sent; what it did not
   * confirm by then is reported by the `undelivered` event.
   */
  async unpair(): Promise<void> {
    await this.confirmed(this.requestTimeoutMs);
    // The acknowledgement below must reach the peer before the server's P2P_DISCONNECT does: over the same socket,
    // not over a data channel that the notice could overtake. So a direct path ends here.
    const upgradingWith = this.transportSwitch ? this.currentPeer : undefined;
    this.stopDirect();
    // If the pairing outlives a failed unpair, the upgrade carries on.
    const upgradeAgain = () => {
      if (upgradingWith !== undefined && this.currentPeer === upgradingWith && this.currentState === 'paired')
        this.startDirect(upgradingWith);
    };
    // The peer's last messages may await our acknowledgement: send it now, or the peer reports them undelivered.
    this.channel?.flushAck();
    const [ok, error] = await this.call(P2pEvent.UNREGISTER, [], this.requestTimeoutMs).catch((failure: unknown) => {
      upgradeAgain();
      throw failure;
    });
    const failure = ok === true ? undefined : P2pError.fromPayload(error);
    if (failure) upgradeAgain();
    // The server is the truth: NOT_PAIRED means a pairing this client still believed in is gone.
    if (!failure || (failure.code === 'NOT_PAIRED' && this.currentState === 'paired')) {
      this.becomeIdle(this.currentPeer, P2pDisconnectReason.UNREGISTERED);
    }
    if (failure) throw failure;
  }

  /**
   * Sends `event(...args)` to the peer. Failures (NOT_PAIRED, RESERVED_EVENT, ...) arrive as the `error` event.
   *
   * Over the reliable channel the message is delivered exactly once and in order, across connection losses, and
   * `emit` returns false once the unconfirmed messages fill the send window: the message is kept, and the app should
   * wait for the `drain` event (or `await client.drained()`) before sending more. Otherwise it returns true.
   */
  emit(event: string, ...args: unknown[]): boolean {
    const channel = this.channel;
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

  // streams (issue 22) >>>
  /**
   * Sends a stream of bytes to the peer, flow-controlled by its reading, exactly once and in order across cuts, and
   * verified (SHA-256). Resolves once the peer's app read every byte; rejects with a P2pStreamError: NOT_PAIRED,
   * STREAM_REFUSED, STREAM_ABORTED, STREAM_INTERRUPTED (the pairing ended; `bytes` confirmed so far), STREAM_CORRUPT,
   * STREAMS_UNSUPPORTED, INVALID_PAYLOAD. See docs/streams.md.
   */
  sendStream(source: StreamSource, options?: SendStreamOptions): Promise<StreamReceipt> {
    return this.streams.send(source, options);
  }
  // <<< streams

  /** Resolves once `emit` would return true again: at once with room in the window (or without a reliable channel). */
  drained(): Promise<void> {
    if (this.writable) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** Relays `event(...args, callback)` to the peer and resolves with the first value it passes to the callback. */
  async emitWithAck(event: string, ...args: unknown[]): Promise<unknown> {
    const [first] = await this.relayWithAck(event, args);
    return first;
  }

  /** The connected clientIds; with `{available: true}` only those free to pair. */
  async listClients(filter?: ListClientsFilter): Promise<string[]> {
    // Asked as a page (protocol 2): the original answer, a bare `string[]`, has no room for a refusal (the server sends
    // it as P2P_ERROR, and the ack would wait out the timeout); a page's ack carries `{error}` with its code.
    const page = { ...filter, cursor: filter?.cursor ?? null };
    return readClientListPage(await this.call(P2pEvent.LIST_CLIENTS, [page], this.requestTimeoutMs)).clients;
  }

  /** Every clientId the server lets this client see, page after page: `for await (const id of client.clients())`. */
  clients(options?: ClientWalkOptions): AsyncGenerator<string, void, undefined> {
    return walkClientList((filter) => this.call(P2pEvent.LIST_CLIENTS, [filter], this.requestTimeoutMs), options);
  }

  /** Stops listening on the socket. The socket itself is left as it is. */
  dispose(): void {
    this.socket.off(P2pEvent.REGISTER, this.onPairRequest);
    this.socket.off(P2pEvent.FRAME, this.onFrame);
    this.socket.off(P2pEvent.DISCONNECT, this.onPeerGone);
    this.socket.off(P2pEvent.ERROR, this.onServerError);
    this.socket.off(P2pEvent.SESSION, this.onSession);
    this.socket.off('disconnect', this.onSocketDisconnect);
    this.socket.io.off('reconnect_failed', this.onReconnectFailed);
    this.gatewayWatch.stop();
    clearTimeout(this.resumeTimer);
    this.stopDirect();
    this.closeChannel(new P2pError('NOT_CONNECTED', 'the client was disposed'));
  }

  // --- The original plugin's API -------------------------------------------------------------------------------

  /**
   * Original API. With callbacks: `onSuccess()` or `onFailure(error)` (without `onFailure`, the `error` event).
   * Without: resolves true or false, as the original did; the reason goes to the `error` event.
   */
  registerP2pTarget(
    targetId: string,
    _options?: object,
    onSuccess?: () => void,
    onFailure?: (error: P2pError) => void,
  ): Promise<boolean> | void {
    const attempt = this.pair(targetId).then(
      () => true,
      (error: P2pError) => {
        if (onFailure) onFailure(error);
        else this.emitLocal('error', error);
        return false;
      },
    );
    if (!onSuccess && !onFailure) return attempt;
    void attempt.then((paired) => paired && onSuccess?.());
  }

  /** Original API: leaves the current pairing. Never rejects; failures go to the `error` event. */
  unregisterP2pTarget(): Promise<void> {
    return this.unpair().catch((error: P2pError) => this.emitLocal('error', error));
  }

  /** Original API: `emit2(event, ...args[, ack])`; the ack gets every value the peer passed. */
  emit2(event: string, ...args: unknown[]): void {
    const ack = typeof args[args.length - 1] === 'function' ? (args.pop() as Ack) : undefined;
    if (!ack) {
      this.emit(event, ...args);
      return;
    }
    this.relayWithAck(event, args).then(
      (results) => ack(...results),
      (error: P2pError) => this.emitLocal('error', error),
    );
  }

  /** Original alias of `emit2`. */
  emitP2p(event: string, ...args: unknown[]): void {
    this.emit2(event, ...args);
  }

  /** Original API: `getClientList(cb)` or a promise of the connected clientIds. */
  getClientList(callback?: (clients: string[]) => void): Promise<string[]> | void {
    const listing = this.listClients();
    if (!callback) return listing;
    listing.then(callback, (error: P2pError) => this.emitLocal('error', error));
  }

  // --- internals -----------------------------------------------------------------------------------------------

  private declareIdentity(clientId: string | undefined, sessionToken: string): void {
    const p2pProtocol = this.reliableOptions ? P2P_PROTOCOL_VERSION : P2P_RELIABLE_PROTOCOL - 1;
    // Option webrtc is declared too, so that the peer learns it (PeerInfo's `peerWebRtc`) and tries only when both did.
    const p2pWebRtc = this.reliableOptions && this.webrtcOptions ? { p2pWebRtc: true } : {};
    const ours = { ...(clientId === undefined ? {} : { clientId }), sessionToken, p2pProtocol, ...p2pWebRtc };
    const auth = this.socket.auth;
    if (typeof auth === 'function') {
      this.socket.auth = (cb) => auth((data) => cb({ ...data, ...ours }));
    } else {
      this.socket.auth = { ...auth, ...ours };
    }
    // The server reads the handshake once: a socket that is connected already must connect again to declare itself.
    if (this.socket.connected) this.socket.disconnect().connect();
  }

  private relayPayload(event: string, args: unknown[]) {
    return this.currentPeer === undefined ? { event, args } : { targetClientId: this.currentPeer, event, args };
  }

  private async relayWithAck(event: string, args: unknown[]): Promise<unknown[]> {
    if (this.channel) return this.reliableRelayWithAck(this.channel, event, args);
    const [error, ...results] = await this.call(P2pEvent.EMIT_ACKNOWLEDGE, [this.relayPayload(event, args)], this.ackTimeoutMs);
    if (error !== null && error !== undefined) throw P2pError.fromPayload(error);
    return results;
  }

  /** Emits with an ack and a bound on the wait; resolves with the ack's arguments. */
  private call(event: string, args: unknown[], timeoutMs: number): Promise<unknown[]> {
    if (this.gatewayWatch.missing) return Promise.reject(this.gatewayWatch.missing);
    return new Promise((resolve, reject) => {
      this.socket.timeout(timeoutMs).emit(event, ...args, (timedOut: Error | null, ...results: unknown[]) => {
        if (!timedOut) return resolve(results);
        const code = this.socket.connected ? 'REQUEST_TIMEOUT' : 'NOT_CONNECTED';
        reject(new P2pError(code, `${event}: ${timedOut.message}`, event));
      });
    });
  }

  private becomePaired(peerId: string, peerProtocol: number, peerWebRtc: boolean | undefined): void {
    this.asked = undefined;
    this.currentPeer = peerId;
    this.peerWebRtc = peerWebRtc;
    this.currentState = 'paired';
    if (this.reliableOptions && peerProtocol >= P2P_RELIABLE_PROTOCOL) {
      this.channel = new ReliableChannel(this.channelHost, this.reliableOptions);
      this.channel.attach(this.relayPath, false, this.pacer());
      this.startDirect(peerId);
    }
    const early = this.earlyFrames?.take() ?? [];
    this.emitLocal('paired', peerId);
    // The peer's first frames, when they came before the server's answer was read: delivered now, not resent.
    for (const frame of early) this.channel?.receive(frame);
  }

  private becomeIdle(peerId: string | undefined, reason: string): void {
    const wasPaired = (this.currentState === 'paired' || this.currentState === 'resuming') && peerId !== undefined;
    // Withdrawn, not answered: an answer's own outcome passes no reason.
    if (this.currentState === 'asked' && this.asked !== undefined && reason !== '')
      this.emitLocal('request-withdrawn', this.asked.sourceId, reason);
    this.currentPeer = undefined;
    this.asked = undefined;
    this.currentState = 'idle';
    this.earlyFrames?.take();
    this.closeChannel(new P2pError('PEER_DISCONNECTED', `the pairing with ${peerId} ended (${reason || 'DISCONNECTED'})`));
    if (wasPaired) this.emitLocal('unpaired', peerId, reason);
  }

  // --- reliable channel ------------------------------------------------------------------------------------------

  /** The gateway as the reliable channel's path: frames go out only on a connected socket (none pile up meanwhile). */
  private readonly relayPath: FramePath = {
    send: (frame) => {
      if (!this.socket.connected) return false;
      this.socket.emit(P2pEvent.FRAME, frame);
      return true;
    },
  };

  private readonly channelHost: ReliableChannelHost = {
    deliver: (event, args, reply) => {
      if (this.streams.deliver(event, args)) return; // streams (issue 22)
      // Names Socket.IO or this protocol use are never handed to the app's listeners (the sender refuses them too).
      if (isReservedEventName(event)) return;
      // As socket.io-client dispatches an event: catch-all listeners first, on copies (once-listeners remove themselves).
      const socket = this.socket;
      const callArgs = reply ? [...args, reply] : args;
      for (const listener of [...socket.listenersAny()]) listener.call(socket, event, ...callArgs);
      for (const listener of [...socket.listeners(event)]) listener.apply(socket, callArgs);
    },
    replied: (seq, results) => {
      const pending = this.pendingReplies.get(seq);
      if (!pending) return;
      this.pendingReplies.delete(seq);
      clearTimeout(pending.timer);
      pending.resolve(results);
    },
    refused: (message, error) => {
      if (this.streams.refused(message.event ?? '', message.args, error)) return; // streams (issue 22)
      const pending = this.pendingReplies.get(message.seq);
      if (!pending) return this.emitLocal('error', error);
      this.pendingReplies.delete(message.seq);
      clearTimeout(pending.timer);
      pending.reject(error);
    },
    drain: () => {
      for (const resolve of this.drainWaiters.splice(0)) resolve();
      this.emitLocal('drain');
    },
    confirmed: () => {
      for (const done of this.confirmedWaiters.slice()) done();
    },
    moved: () => this.streams.pump(), // streams (issue 22)
  };

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

  /** Resolves once the peer confirmed everything sent so far, or after `timeoutMs`, or when the pairing ends. */
  private confirmed(timeoutMs: number): Promise<void> {
    const channel = this.channel;
    if (!channel || channel.unconfirmed === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      const waiters = this.confirmedWaiters;
      function done(): void {
        clearTimeout(timer);
        const at = waiters.indexOf(done);
        if (at >= 0) waiters.splice(at, 1);
        resolve();
      }
      waiters.push(done);
    });
  }

  /** The pacer for the reliable channel on the current connection (undefined when the server announced no rates). */
  private pacer(): SendPacer | undefined {
    return this.relayPacer;
  }

  /**
   * Option `webrtc`: keeps the reliable pairing with `peerId` on a direct data channel whenever one opens (the peer
   * must have enabled it too, and the gateway allow it). Each switch resyncs the channel (`y` sync): both sides send
   * again what the other has not confirmed, and the receiver's sequence numbers drop what arrives twice.
   */
  private startDirect(peerId: string): void {
    this.stopDirect();
    // A peer that did not enable WebRTC would never answer: no offer at all, rather than retries forever.
    if (!this.webrtcOptions || !this.channel || this.peerWebRtc === false) return;
    if (this.ownId === undefined) {
      queueMicrotask(() =>
        this.emitLocal(
          'error',
          new P2pError('INVALID_CLIENT_ID', 'option webrtc needs the clientId of this client (option clientId or socket.auth)'),
        ),
      );
      return;
    }
    const channel = this.channel;
    const transportSwitch = new TransportSwitch(this.socket, this.ownId, peerId, this.webrtcOptions, {
      receive: (frame) => {
        if (this.channel === channel) channel.receive(frame as P2pFrame);
      },
      useDirect: (path) => {
        if (this.channel === channel) channel.attach(path, true);
      },
      useRelay: () => {
        if (this.channel !== channel) return;
        // Without a connection the resume attaches the relay again (P2P_SESSION); until then nothing is sent.
        if (this.socket.connected) channel.attach(this.relayPath, true, this.pacer());
        else channel.detach();
      },
      changed: (transport) => this.setTransport(transport),
    });
    this.transportSwitch = transportSwitch;
    transportSwitch.start();
  }

  /** Ends the current upgrade: a direct path is closed and the channel is back on the relay. */
  private stopDirect(): void {
    const transportSwitch = this.transportSwitch;
    this.transportSwitch = undefined;
    transportSwitch?.stop();
    this.setTransport('relay');
  }

  private setTransport(transport: P2pTransport): void {
    if (this.currentTransport === transport) return;
    this.currentTransport = transport;
    this.emitLocal('transport', transport);
  }

  /** Ends the current reliable channel: unconfirmed messages are reported, awaited replies rejected with `error`. */
  private closeChannel(error: P2pError): void {
    const channel = this.channel;
    this.channel = undefined;
    // With the channel gone first, the upgrade's stop moves nothing back to the relay: the pairing is over.
    this.stopDirect();
    if (!channel) return;
    const unconfirmed = channel.close().filter((message) => !isStreamEventName(message.event)); // streams (issue 22)
    this.streams.end(); // streams (issue 22)
    for (const [seq, pending] of this.pendingReplies) {
      this.pendingReplies.delete(seq);
      clearTimeout(pending.timer);
      pending.reject(new P2pError(error.code, error.message, P2pEvent.EMIT_ACKNOWLEDGE));
    }
    for (const resolve of this.drainWaiters.splice(0)) resolve();
    for (const done of this.confirmedWaiters.slice()) done();
    if (unconfirmed.length > 0) this.emitLocal('undelivered', unconfirmed.map(toUndelivered), error);
  }

  private readonly onFrame = (frame: unknown): void => {
    if (typeof frame !== 'object' || frame === null) return;
    if (this.channel) this.channel.receive(frame as P2pFrame);
    // Paired by the server, this client has not read its answer yet: the only peer the frame can come from is that one.
    else if (
      (this.currentState === 'pairing' && this.pendingTarget !== undefined) ||
      (this.currentState === 'asked' && this.consentingTo !== undefined)
    )
      this.earlyFrames?.hold(frame as P2pFrame);
  };

  private readonly onPairRequest = (sourceId: unknown, info?: unknown): void => {
    if (typeof sourceId !== 'string') return;
    const request: IncomingRequest = { sourceId, peerProtocol: peerProtocolOf(info), peerWebRtc: peerWebRtcOf(info) };
    // Crossing requests: this client's own request to `sourceId` is its consent, and the gateway pairs the two as the
    // requests meet. The late request of a pairing made so (from another node) needs no answer either.
    if (this.currentState === 'pairing' && sourceId === this.pendingTarget) this.crossingRequest = request;
    else if (this.currentState === 'paired' && sourceId === this.currentPeer) return;
    else if (this.currentState !== 'idle') this.socket.emit(P2pEvent.REGISTER_FAILED, sourceId);
    else this.askConsent(request);
  };

  private askConsent(request: IncomingRequest): void {
    const { sourceId } = request;
    this.currentState = 'asked';
    this.asked = request;
    this.emitLocal('request', sourceId);
    Promise.resolve()
      .then(() => this.consent(sourceId))
      .catch(() => false)
      .then((accepted) => this.answerRequest(request, accepted === true));
  }

  /**
   * Sends this client's answer to `request`. Each request is its own object: the outcome of one answer only ever
   * touches the state that same request created, never a later request from the same source (a refusal's ack and
   * that source's next request can arrive in one socket read, the request first).
   */
  private answerRequest(request: IncomingRequest, accepted: boolean): void {
    if (this.asked !== request) return; // withdrawn meanwhile (source left, or timed out)
    const { sourceId } = request;
    const event = accepted ? P2pEvent.REGISTER_SUCCESS : P2pEvent.REGISTER_FAILED;
    if (accepted) {
      this.consentingTo = sourceId;
      this.endedBeforeAck = undefined;
    } else {
      // A refusal frees this client at once (the server frees it on receipt), so a request right behind is asked.
      this.becomeIdle(undefined, '');
    }
    this.call(event, [sourceId], this.requestTimeoutMs).then(
      ([ok, error]) => {
        const ended = accepted ? this.takeConsentOutcome(sourceId) : undefined;
        if (accepted && ok === true && this.asked === request) {
          this.becomePaired(sourceId, request.peerProtocol, request.peerWebRtc);
          if (ended) this.becomeIdle(sourceId, ended.reason);
          return;
        }
        if (this.asked === request) this.becomeIdle(undefined, '');
        if (ok !== true) this.emitLocal('error', P2pError.fromPayload(error));
      },
      (error: P2pError) => {
        if (accepted) this.takeConsentOutcome(sourceId);
        if (this.asked === request) this.becomeIdle(undefined, '');
        this.emitLocal('error', error);
      },
    );
  }

  private readonly onPeerGone = (peerId: unknown, reason: unknown): void => {
    const why = typeof reason === 'string' ? reason : P2pDisconnectReason.DISCONNECTED;
    if (this.currentState === 'paired' && (peerId === this.currentPeer || peerId === undefined)) {
      this.becomeIdle(this.currentPeer, why);
    } else if (typeof peerId !== 'string') {
      return;
    } else if (this.currentState === 'pairing' && peerId === this.crossingRequest?.sourceId) {
      // The crossing request was withdrawn before the two requests met (a pairing would have been acked first).
      this.crossingRequest = undefined;
    } else if (this.currentState === 'pairing' && peerId === this.pendingTarget) {
      this.endedBeforeAck = { peerId, reason: why };
    } else if (this.currentState === 'asked' && peerId === this.asked?.sourceId) {
      // With a consent in flight, its ack settles the state: a pairing that ended, or a request withdrawn.
      if (peerId === this.consentingTo) this.endedBeforeAck = { peerId, reason: why };
      else this.becomeIdle(undefined, why);
    }
  };

  private takeEndedBeforeAck(peerId: string): { peerId: string; reason: string } | undefined {
    const ended = this.endedBeforeAck;
    if (ended?.peerId !== peerId) return undefined;
    this.endedBeforeAck = undefined;
    return ended;
  }

  private takeConsentOutcome(sourceId: string): { peerId: string; reason: string } | undefined {
    if (this.consentingTo === sourceId) this.consentingTo = undefined;
    return this.takeEndedBeforeAck(sourceId);
  }

  private readonly onServerError = (payload: unknown): void => {
    if ((payload as { event?: unknown } | null)?.event === P2pEvent.FRAME) {
      // A refused frame of the reliable channel: the channel sends it again (or reports it), the app is not bothered.
      const refusal = frameRefusal(payload);
      if (refusal) this.channel?.refusedByServer(refusal.seq, refusal.code, refusal.message);
      return;
    }
    this.emitLocal('error', P2pError.fromPayload(payload));
  };

  /**
   * A lost connection (not one closed on purpose) of a paired client that will reconnect by itself: keep the peer and
   * wait for the server's P2P_SESSION, bounded by `resumeTimeoutMs`. Anything else ends the pairing here.
   */
  private readonly onSocketDisconnect = (reason: string): void => {
    const willReconnect = reason !== 'io client disconnect' && reason !== 'io server disconnect' && this.socket.io.reconnection();
    // The direct path needs the gateway for its signalling: it ends with the connection, and a resume starts again.
    this.stopDirect();
    this.channel?.detach();
    if (this.currentState === 'paired' && willReconnect) {
      this.currentState = 'resuming';
      clearTimeout(this.resumeTimer);
      this.resumeTimer = setTimeout(() => this.endResume(), this.resumeTimeoutMs);
      return;
    }
    this.endResume();
  };

  private readonly onReconnectFailed = (): void => this.endResume();

  private endResume(): void {
    clearTimeout(this.resumeTimer);
    this.resumeTimer = undefined;
    this.becomeIdle(this.currentPeer, P2pDisconnectReason.DISCONNECTED);
  }

  /** The server's word on each connection: whether it kept this client's pairing. */
  private readonly onSession = (payload: unknown): void => {
    const { resumed, clientId, peerId, peerProtocol, peerWebRtc, rates } = (
      typeof payload === 'object' && payload !== null ? payload : {}
    ) as SessionPayload;
    // The id the gateway admitted this connection under (protocol 3) is the one the peer and the direct path know.
    if (typeof clientId === 'string' && clientId.length > 0) this.ownId = clientId;
    // Each connection has rate limits of its own on the server, starting full: so does its pacer.
    this.relayPacer = typeof rates === 'object' && rates !== null ? new SendPacer(rates as RelayRates) : undefined;
    clearTimeout(this.resumeTimer);
    this.resumeTimer = undefined;
    if (resumed === true && typeof peerId === 'string') {
      if (this.currentState === 'resuming' && this.currentPeer === peerId) {
        this.currentState = 'paired';
        this.peerWebRtc = peerWebRtcOf({ peerWebRtc });
        // Frames in flight on the lost connection may be gone either way: both sides resend what the other lacks.
        this.channel?.attach(this.relayPath, true, this.pacer());
        this.startDirect(peerId);
        this.emitLocal('resumed', peerId);
      } else {
        if (this.currentState === 'resuming') this.becomeIdle(this.currentPeer, P2pDisconnectReason.DISCONNECTED);
        this.becomePaired(peerId, peerProtocolOf({ peerProtocol }), peerWebRtcOf({ peerWebRtc }));
      }
    } else if (this.currentState === 'resuming') {
      this.becomeIdle(this.currentPeer, P2pDisconnectReason.DISCONNECTED);
    }
  };
}

/** The clientId in `socket.auth`, when it is an object that holds one. */
function declaredClientId(socket: P2pClientSocket): string | undefined {
  const auth = socket.auth;
  const clientId = typeof auth === 'object' && auth !== null ? (auth as { clientId?: unknown }).clientId : undefined;
  return typeof clientId === 'string' ? clientId : undefined;
}

function toUndelivered(message: OutgoingMessage): UndeliveredMessage {
  return { event: message.event!, args: message.args };
}
