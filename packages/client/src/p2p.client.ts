import {
  type ListClientsFilter,
  P2P_PROTOCOL_VERSION,
  P2P_RELIABLE_PROTOCOL,
  P2pDisconnectReason,
  P2pError,
  P2pEvent,
  type P2pTransport,
  type SessionPayload,
} from 'nest-p2p-gateway-protocol';
import { declareIdentity, declaredClientId } from './client.identity.js';
import { type ClientWalkOptions, readClientListPage, walkClientList } from './client-list.pager.js';
import type { ClientPart } from './client-part.interface.js';
import type { P2pClientSocket } from './client-socket.interface.js';
import { DirectPathControl } from './direct-path.control.js';
import { DEFAULT_E2E_TIMEOUT_MS, E2ePart } from './e2e/e2e.part.js';
import { FlowControlWaiters } from './flow-control.waiters.js';
import { type GatewayCall, GatewayRequests } from './gateway.requests.js';
import { DEFAULT_SESSION_TIMEOUT_MS, GatewayWatch } from './gateway.watch.js';
import { MessageDispatcher } from './message.dispatcher.js';
import { OriginalPluginApi } from './original-plugin.api.js';
import type { P2pClientOptions } from './p2p-client.options.js';
import type { ClientEventSink, P2pClientState } from './p2p-client.events.js';
import { PairingMachine } from './pairing.machine.js';
import { resolveReliableOptions } from './reliable-channel.options.js';
import { ReliableLink } from './reliable.link.js';
import { ResumeClock } from './resume.clock.js';
import { randomSessionToken } from './session.token.js';
import type { SendStreamOptions, StreamReceipt } from './streams/outgoing.stream.js';
import { resolveStreamOptions } from './streams/stream.options.js';
import type { StreamSource } from './streams/stream-source.reader.js';
import { StreamsPart } from './streams/streams.part.js';

export type { P2pClientEvents, P2pClientState, UndeliveredMessage } from './p2p-client.events.js';

/**
 * The client side of the pairing gateway, over a socket.io-client `Socket` (Node or browser). Create it right after
 * `io(...)`, before the socket connects: it adds its clientId, session token and protocol version to `socket.auth`.
 * Events relayed by the peer arrive on the socket itself: `client.socket.on('event', ...)`.
 *
 * A facade: it builds the parts that do the work and wires them to the socket and to each other, each part seeing
 * only a small interface of the others (docs/design-notes.md, "The client's parts"). `PairingMachine` the pairing
 * states, requests and consent; `GatewayRequests` the bounded requests to the gateway; `ReliableLink` the reliable
 * channel's host; `FlowControlWaiters` the drain and confirmation waits; `ResumeClock` the wait for a resume;
 * `DirectPathControl` the WebRTC upgrade; `OriginalPluginApi` (the base class) the original plugin's API; the parts per
 * pairing (`StreamsPart`, and `E2ePart` with option `e2e`, which also seals every channel the link opens).
 */
export class P2pClient<S extends P2pClientSocket = P2pClientSocket> extends OriginalPluginApi {
  private readonly requestTimeoutMs: number;
  private readonly gatewayWatch: GatewayWatch;
  private readonly call: GatewayCall;
  private readonly waiters = new FlowControlWaiters();
  /** Where the reliable channel hands the peer's messages; parts register their handlers with it. */
  private readonly dispatcher: MessageDispatcher;
  private readonly link: ReliableLink;
  private readonly direct: DirectPathControl;
  private readonly pairing: PairingMachine;
  private readonly resumeClock: ResumeClock;
  /**
   * The parts that live per reliable pairing (`ClientPart`): attached as a pairing opens its channel, told of a
   * resume, detached as it ends. Streams are one; end-to-end encryption plugs in here too.
   */
  private readonly parts: readonly ClientPart[];
  private readonly streams: StreamsPart;
  /** Option `e2e`: the key exchange and the sealing of every channel. */
  private readonly e2e?: E2ePart;
  /** The id the gateway admitted this connection under (P2P_SESSION): the one the peer knows. */
  private admittedId?: string;
  /** What the parts use to tell the app something. */
  private readonly tell: ClientEventSink = (event, ...args) => this.emitLocal(event, ...args);

  /** `socket`: a socket.io-client 4.x `Socket` (any 4.x, ESM or CommonJS build); `client.socket` keeps its type. */
  constructor(
    readonly socket: S,
    options: P2pClientOptions = {},
  ) {
    super();
    const emitLocal = this.tell;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    // The reliable channel's options; undefined when this client speaks protocol 2 (`reliable: false`).
    const reliableOptions = options.reliable === false ? undefined : resolveReliableOptions(options.reliable);
    this.gatewayWatch = new GatewayWatch(socket, options.sessionTimeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS, (e) => this.emitLocal('error', e));
    const call = (this.call = new GatewayRequests(socket, this.gatewayWatch).call);
    const dispatcher = (this.dispatcher = new MessageDispatcher(socket));
    const ackTimeoutMs = options.ackTimeoutMs ?? 15_000;
    const declaredId = options.clientId ?? declaredClientId(socket);
    if (options.e2e === true) {
      if (!reliableOptions) throw new P2pError('E2E_REQUIRED', 'end-to-end encryption needs the reliable channel (option reliable)');
      const ownId = () => this.admittedId ?? declaredId;
      const timeoutMs = options.e2eTimeoutMs ?? DEFAULT_E2E_TIMEOUT_MS;
      this.e2e = new E2ePart({ dispatcher, emitLocal, ownId, timeoutMs, endPairing: (error) => this.endPairing(error) });
    }
    const sealer = this.e2e;
    this.link = new ReliableLink(
      { socket, reliableOptions, ackTimeoutMs, call, dispatcher, waiters: this.waiters, emitLocal, sealer },
      {
        parts: () => this.parts,
        peerId: () => this.pairing.peerId,
        stopDirect: () => this.direct.stop(),
        awaitingOwnAnswer: () => this.pairing.awaitingOwnAnswer,
      },
    );
    const webrtcOptions = options.webrtc || undefined;
    const sealedSignalling = this.e2e ? () => this.e2e?.signalling() : undefined;
    this.direct = new DirectPathControl(socket, webrtcOptions, declaredId, this.link, emitLocal, sealedSignalling);
    const pairTimeoutMs = options.pairTimeoutMs ?? 15_000;
    const { requestTimeoutMs } = this;
    const consent = options.consent ?? (() => true);
    this.pairing = new PairingMachine(
      { socket, call, emitLocal, pairTimeoutMs, requestTimeoutMs, consent, precommit: this.e2e?.precommit },
      {
        openChannel: (peerId, peerProtocol, peerWebRtc) => this.openChannel(peerId, peerProtocol, peerWebRtc),
        resumeChannel: (peerId, peerWebRtc) => this.resumeChannel(peerId, peerWebRtc),
        closeChannel: (error) => this.closeChannel(error),
        takeEarlyFrames: () => this.link.takeEarlyFrames(),
        deliverEarlyFrames: (frames) => this.link.deliverEarlyFrames(frames),
      },
    );
    this.streams = new StreamsPart({
      dispatcher,
      options: resolveStreamOptions(options.streams),
      windowBytes: reliableOptions?.windowBytes ?? 0,
      paired: () => this.pairing.state === 'paired',
      announce: (incoming) => this.listenerCount('stream') > 0 && (this.emitLocal('stream', incoming), true),
      direct: () => this.transport === 'direct',
    });
    // The e2e part first: its key exchange takes the channel's first message numbers.
    this.parts = this.e2e ? [this.e2e, this.streams] : [this.streams];
    this.resumeClock = new ResumeClock(socket.io, options.resumeTimeoutMs ?? 30_000, this.pairing);
    const p2pProtocol = reliableOptions ? P2P_PROTOCOL_VERSION : P2P_RELIABLE_PROTOCOL - 1;
    // WebRTC is declared only with the reliable channel it carries.
    const p2pWebRtc = reliableOptions !== undefined && webrtcOptions !== undefined;
    declareIdentity(socket, options.clientId, options.sessionToken ?? randomSessionToken(), p2pProtocol, p2pWebRtc, this.e2e !== undefined);
    socket.on(P2pEvent.REGISTER, this.pairing.onPairRequest);
    socket.on(P2pEvent.FRAME, this.link.onFrame);
    socket.on(P2pEvent.DISCONNECT, this.pairing.onPeerGone);
    socket.on(P2pEvent.ERROR, this.link.onServerError);
    socket.on(P2pEvent.SESSION, this.onSession);
    socket.on('disconnect', this.onSocketDisconnect);
    socket.io.on('reconnect_failed', this.resumeClock.onReconnectFailed);
  }

  /** The clientId this client is paired with, if any. */
  get peerId(): string | undefined {
    return this.pairing.peerId;
  }

  get state(): P2pClientState {
    return this.pairing.state;
  }

  /** Whether the current pairing runs over the reliable channel (both sides speak protocol 3). */
  get reliable(): boolean {
    return this.link.channel !== undefined;
  }

  /**
   * Where the pairing's messages go: `'direct'` over a WebRTC data channel (option `webrtc`), else `'relay'` through
   * the gateway. Changes are told by the `transport` event.
   */
  get transport(): P2pTransport {
    return this.direct.transport;
  }

  /** Reliable channel: messages sent (or waiting to be) that the peer has not confirmed yet; 0 without a channel. */
  get unconfirmed(): number {
    return this.link.channel?.unconfirmed ?? 0;
  }

  /** Reliable channel: whether `emit` would still return true (the unconfirmed messages are within the window). */
  get writable(): boolean {
    return this.link.channel?.writable ?? true;
  }

  /** Option `e2e`: whether the current pairing's keys are agreed and confirmed by the peer (the `secured` event). */
  get secure(): boolean {
    return this.e2e?.secure ?? false;
  }

  /**
   * Option `e2e`: the current pairing's verification code (6 digits) once `secure`: equal on both sides iff no one
   * substituted keys. The users compare them (docs/e2e.md).
   */
  get verificationCode(): string | undefined {
    return this.e2e?.verificationCode;
  }

  /** Asks `targetId` to pair. Rejects with a P2pError: TARGET_OFFLINE, TARGET_BUSY, PAIR_REFUSED, PAIR_TIMEOUT, ... */
  pair(targetId: string): Promise<void> {
    return this.pairing.pair(targetId);
  }

  /**
   * Leaves the current pairing; the peer gets `P2P_DISCONNECT`. Rejects with NOT_PAIRED if there was none. Over the
   * reliable channel it first waits (up to `requestTimeoutMs`) for the peer to confirm what was sent; what it did not
   * confirm by then is reported by the `undelivered` event.
   */
  async unpair(): Promise<void> {
    await this.waiters.confirmed(this.link.channel, this.requestTimeoutMs);
    // The acknowledgement below must reach the peer before the server's P2P_DISCONNECT does: over the same socket,
    // not over a data channel that the notice could overtake. So a direct path ends here.
    const upgradingWith = this.direct.upgrading ? this.pairing.peerId : undefined;
    this.direct.stop();
    // If the pairing outlives a failed unpair, the upgrade carries on.
    const upgradeAgain = () => {
      if (upgradingWith !== undefined && this.pairing.peerId === upgradingWith && this.pairing.state === 'paired')
        // The upgrade ran, so the peer had not declined WebRTC.
        this.direct.start(upgradingWith, true);
    };
    // The peer's last messages may await our acknowledgement: send it now, or the peer reports them undelivered.
    this.link.channel?.flushAck();
    const [ok, error] = await this.call(P2pEvent.UNREGISTER, [], this.requestTimeoutMs).catch((failure: unknown) => {
      upgradeAgain();
      throw failure;
    });
    const failure = ok === true ? undefined : P2pError.fromPayload(error);
    if (failure) upgradeAgain();
    // The server is the truth: NOT_PAIRED means a pairing this client still believed in is gone.
    if (!failure || (failure.code === 'NOT_PAIRED' && this.pairing.state === 'paired')) {
      this.pairing.becomeIdle(this.pairing.peerId, P2pDisconnectReason.UNREGISTERED);
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
    return this.link.emit(event, args);
  }

  /**
   * Sends a stream of bytes to the peer, flow-controlled by its reading, exactly once and in order across cuts, and
   * verified (SHA-256). Resolves once the peer's app read every byte; rejects with a P2pStreamError: NOT_PAIRED,
   * STREAM_REFUSED, STREAM_ABORTED, STREAM_INTERRUPTED (the pairing ended; `bytes` confirmed so far), STREAM_CORRUPT,
   * STREAMS_UNSUPPORTED, INVALID_PAYLOAD. See docs/streams.md.
   */
  sendStream(source: StreamSource, options?: SendStreamOptions): Promise<StreamReceipt> {
    return this.streams.send(source, options);
  }

  /** Resolves once `emit` would return true again: at once with room in the window (or without a reliable channel). */
  drained(): Promise<void> {
    if (this.writable) return Promise.resolve();
    return this.waiters.drained();
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
    this.socket.off(P2pEvent.REGISTER, this.pairing.onPairRequest);
    this.socket.off(P2pEvent.FRAME, this.link.onFrame);
    this.socket.off(P2pEvent.DISCONNECT, this.pairing.onPeerGone);
    this.socket.off(P2pEvent.ERROR, this.link.onServerError);
    this.socket.off(P2pEvent.SESSION, this.onSession);
    this.socket.off('disconnect', this.onSocketDisconnect);
    this.socket.io.off('reconnect_failed', this.resumeClock.onReconnectFailed);
    this.gatewayWatch.stop();
    this.resumeClock.stop();
    this.direct.stop();
    this.closeChannel(new P2pError('NOT_CONNECTED', 'the client was disposed'));
  }

  protected relayWithAck(event: string, args: unknown[]): Promise<unknown[]> {
    return this.link.relayWithAck(event, args);
  }

  // --- wiring ----------------------------------------------------------------------------------------------------

  /**
   * A pairing began: its reliable channel (when both sides speak protocol 3), then the parts, then its direct path
   * (unless the peer declined WebRTC), which with `e2e` signals through the e2e part.
   */
  private openChannel(peerId: string, peerProtocol: number, peerWebRtc: boolean | undefined): void {
    const channel = this.link.open(peerProtocol);
    if (!channel && this.e2e) queueMicrotask(() => this.endPairing(new P2pError('E2E_REQUIRED', 'the peer has no reliable channel')));
    if (!channel) return;
    for (const part of this.parts) part.attach(peerId, channel);
    this.direct.start(peerId, peerWebRtc);
  }

  /** The pairing with `peerId` resumed on a new connection. */
  private resumeChannel(peerId: string, peerWebRtc: boolean | undefined): void {
    this.link.resume();
    this.direct.start(peerId, peerWebRtc);
    for (const part of this.parts) part.resumed?.(peerId);
  }

  /** The pairing ended, or the client is disposed: the channel closes (reporting what is lost), then the parts. */
  private closeChannel(error: P2pError): void {
    this.link.close(error);
    for (const part of this.parts) part.detach(error);
  }

  /**
   * Option `e2e`: the peer does not encrypt, or the key exchange failed. The pairing ends here at once (its messages
   * stay unsent and are reported `undelivered`), the app is told `error`, and the gateway is asked to end it for the
   * peer too.
   */
  private endPairing(error: P2pError): void {
    const peerId = this.pairing.peerId;
    if (peerId === undefined || (this.pairing.state !== 'paired' && this.pairing.state !== 'resuming')) return;
    this.emitLocal('error', error);
    this.direct.stop();
    this.pairing.becomeIdle(peerId, error.code, error);
    this.call(P2pEvent.UNREGISTER, [], this.requestTimeoutMs).catch(() => undefined);
  }

  /**
   * The server's word on each connection: who it admitted, its relay rates and largest message, and whether it kept
   * the pairing.
   */
  private readonly onSession = (payload: unknown): void => {
    const session = (typeof payload === 'object' && payload !== null ? payload : {}) as SessionPayload;
    // The id the gateway admitted this connection under (protocol 3) is the one the peer and the direct path know.
    if (typeof session.clientId === 'string' && session.clientId.length > 0) {
      this.admittedId = session.clientId;
      this.direct.admittedAs(session.clientId);
    }
    this.link.sessionStarted(session.rates);
    const maxMessageBytes = typeof session.maxMessageBytes === 'number' ? session.maxMessageBytes : undefined;
    this.streams.relayLimit(maxMessageBytes);
    this.e2e?.relayLimit(maxMessageBytes);
    this.resumeClock.stop();
    this.e2e?.precommit.session(session.e2eCommit === true);
    this.pairing.sessionStarted(session);
  };

  private readonly onSocketDisconnect = (reason: string): void => {
    const willReconnect = this.resumeClock.willReconnect(reason);
    // The direct path needs the gateway for its signalling: it ends with the connection, and a resume starts again.
    this.direct.stop();
    this.link.channel?.detach();
    this.e2e?.precommit.session(undefined);
    this.resumeClock.connectionLost(willReconnect);
  };
}
