import type { Socket } from 'socket.io-client';
import {
  type ListClientsFilter,
  P2P_PROTOCOL_VERSION,
  P2pDisconnectReason,
  P2pError,
  P2pEvent,
  type SessionPayload,
} from '../protocol/index.js';
import { type ClientWalkOptions, walkClientList } from './client-list.pager.js';
import type { P2pClientOptions } from './p2p-client.options.js';
import { TypedEmitter } from './typed-emitter.js';

/** `resuming`: paired, with the connection lost; the server holds the pairing for a while (reconnect grace). */
export type P2pClientState = 'idle' | 'pairing' | 'asked' | 'paired' | 'resuming';

export interface P2pClientEvents {
  /** A pairing began: this client's request was accepted, or it accepted one. */
  paired: (peerId: string) => void;
  /** The connection came back within the server's grace period and the pairing with `peerId` carries on. */
  resumed: (peerId: string) => void;
  /** The pairing ended; `reason` is a P2pDisconnectReason or the host app's own. */
  unpaired: (peerId: string, reason: string) => void;
  /** A pairing request arrived (before the consent hook decides). */
  request: (sourceId: string) => void;
  /** A failure with no promise to reject: a fire-and-forget relay, a legacy-style call, a consent that did not hold. */
  error: (error: P2pError) => void;
}

type Ack = (...args: unknown[]) => void;

function randomToken(): string {
  const cryptoApi = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  if (cryptoApi?.randomUUID) return cryptoApi.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}-${Math.random().toString(36).slice(2)}`;
}

/**
 * The client side of the pairing gateway, over a socket.io-client `Socket` (Node or browser). Create it right after
 * `io(...)`, before the socket connects: it adds its clientId, session token and protocol version to `socket.auth`.
 * Events relayed by the peer arrive on the socket itself: `client.socket.on('event', ...)`.
 */
export class P2pClient extends TypedEmitter<P2pClientEvents> {
  private currentPeer?: string;
  private askedBy?: string;
  /** The target of this client's own request while its answer is awaited. */
  private pendingTarget?: string;
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

  constructor(
    readonly socket: Socket,
    options: P2pClientOptions = {},
  ) {
    super();
    this.pairTimeoutMs = options.pairTimeoutMs ?? 15_000;
    this.ackTimeoutMs = options.ackTimeoutMs ?? 15_000;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    this.resumeTimeoutMs = options.resumeTimeoutMs ?? 30_000;
    this.consent = options.consent ?? (() => true);
    this.declareIdentity(options.clientId, options.sessionToken ?? randomToken());
    socket.on(P2pEvent.REGISTER, this.onPairRequest);
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

  /** Asks `targetId` to pair. Rejects with a P2pError: TARGET_OFFLINE, TARGET_BUSY, PAIR_REFUSED, PAIR_TIMEOUT, ... */
  async pair(targetId: string): Promise<void> {
    const before = this.currentState;
    if (before === 'idle') this.currentState = 'pairing';
    this.pendingTarget = targetId;
    this.endedBeforeAck = undefined;
    try {
      const [ok, error] = await this.call(P2pEvent.REGISTER, [targetId], this.pairTimeoutMs);
      const ended = this.takeEndedBeforeAck(targetId);
      if (ok !== true) throw P2pError.fromPayload(error);
      this.becomePaired(targetId);
      if (ended) this.becomeIdle(targetId, ended.reason);
    } catch (error) {
      if (this.currentState === 'pairing') this.currentState = 'idle';
      throw error;
    } finally {
      if (this.pendingTarget === targetId) this.pendingTarget = undefined;
    }
  }

  /** Leaves the current pairing; the peer gets `P2P_DISCONNECT`. Rejects with NOT_PAIRED if there was none. */
  async unpair(): Promise<void> {
    const [ok, error] = await this.call(P2pEvent.UNREGISTER, [], this.requestTimeoutMs);
    const failure = ok === true ? undefined : P2pError.fromPayload(error);
    // The server is the truth: NOT_PAIRED means a pairing this client still believed in is gone.
    if (!failure || (failure.code === 'NOT_PAIRED' && this.currentState === 'paired')) {
      this.becomeIdle(this.currentPeer, P2pDisconnectReason.UNREGISTERED);
    }
    if (failure) throw failure;
  }

  /** Relays `event(...args)` to the peer. Failures (NOT_PAIRED, RESERVED_EVENT, ...) arrive as the `error` event. */
  emit(event: string, ...args: unknown[]): void {
    this.socket.emit(P2pEvent.EMIT, this.relayPayload(event, args));
  }

  /** Relays `event(...args, callback)` to the peer and resolves with the first value it passes to the callback. */
  async emitWithAck(event: string, ...args: unknown[]): Promise<unknown> {
    const [first] = await this.relayWithAck(event, args);
    return first;
  }

  /** The connected clientIds; with `{available: true}` only those free to pair. */
  async listClients(filter?: ListClientsFilter): Promise<string[]> {
    const [clients] = await this.call(P2pEvent.LIST_CLIENTS, filter ? [filter] : [], this.requestTimeoutMs);
    return clients as string[];
  }

  /** Every clientId the server lets this client see, page after page: `for await (const id of client.clients())`. */
  clients(options?: ClientWalkOptions): AsyncGenerator<string, void, undefined> {
    return walkClientList((filter) => this.call(P2pEvent.LIST_CLIENTS, [filter], this.requestTimeoutMs), options);
  }

  /** Stops listening on the socket. The socket itself is left as it is. */
  dispose(): void {
    this.socket.off(P2pEvent.REGISTER, this.onPairRequest);
    this.socket.off(P2pEvent.DISCONNECT, this.onPeerGone);
    this.socket.off(P2pEvent.ERROR, this.onServerError);
    this.socket.off(P2pEvent.SESSION, this.onSession);
    this.socket.off('disconnect', this.onSocketDisconnect);
    this.socket.io.off('reconnect_failed', this.onReconnectFailed);
    clearTimeout(this.resumeTimer);
  }

  // --- The original plugin's API -------------------------------------------------------------------------------

  /**
   * Original API. With callbacks: `onSuccess()` or `onFailure(error)` (without `onFailure`, the `error` event).
   * Without: resolves true or false, as the original did; the reason goes to the `error` event.
   */
  registerP2pTarget(targetId: string, _options?: object, onSuccess?: () => void, onFailure?: (error: P2pError) => void): Promise<boolean> | void {
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
    if (!ack) return this.emit(event, ...args);
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
    const ours = { ...(clientId === undefined ? {} : { clientId }), sessionToken, p2pProtocol: P2P_PROTOCOL_VERSION };
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
    const [error, ...results] = await this.call(P2pEvent.EMIT_ACKNOWLEDGE, [this.relayPayload(event, args)], this.ackTimeoutMs);
    if (error !== null && error !== undefined) throw P2pError.fromPayload(error);
    return results;
  }

  /** Emits with an ack and a bound on the wait; resolves with the ack's arguments. */
  private call(event: string, args: unknown[], timeoutMs: number): Promise<unknown[]> {
    return new Promise((resolve, reject) => {
      this.socket.timeout(timeoutMs).emit(event, ...args, (timedOut: Error | null, ...results: unknown[]) => {
        if (!timedOut) return resolve(results);
        const code = this.socket.connected ? 'REQUEST_TIMEOUT' : 'NOT_CONNECTED';
        reject(new P2pError(code, `${event}: ${timedOut.message}`, event));
      });
    });
  }

  private becomePaired(peerId: string): void {
    this.askedBy = undefined;
    this.currentPeer = peerId;
    this.currentState = 'paired';
    this.emitLocal('paired', peerId);
  }

  private becomeIdle(peerId: string | undefined, reason: string): void {
    const wasPaired = (this.currentState === 'paired' || this.currentState === 'resuming') && peerId !== undefined;
    this.currentPeer = undefined;
    this.askedBy = undefined;
    this.currentState = 'idle';
    if (wasPaired) this.emitLocal('unpaired', peerId, reason);
  }

  private readonly onPairRequest = (sourceId: unknown): void => {
    if (typeof sourceId !== 'string') return;
    if (this.currentState !== 'idle') {
      this.socket.emit(P2pEvent.REGISTER_FAILED, sourceId);
      return;
    }
    this.currentState = 'asked';
    this.askedBy = sourceId;
    this.emitLocal('request', sourceId);
    Promise.resolve()
      .then(() => this.consent(sourceId))
      .catch(() => false)
      .then((accepted) => this.answerRequest(sourceId, accepted === true));
  };

  private answerRequest(sourceId: string, accepted: boolean): void {
    if (this.askedBy !== sourceId) return; // withdrawn meanwhile (source left, or timed out)
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
        if (accepted && ok === true) {
          this.becomePaired(sourceId);
          if (ended) this.becomeIdle(sourceId, ended.reason);
          return;
        }
        if (this.askedBy === sourceId) this.becomeIdle(undefined, '');
        if (ok !== true) this.emitLocal('error', P2pError.fromPayload(error));
      },
      (error: P2pError) => {
        if (accepted) this.takeConsentOutcome(sourceId);
        if (this.askedBy === sourceId) this.becomeIdle(undefined, '');
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
    } else if (this.currentState === 'pairing' && peerId === this.pendingTarget) {
      this.endedBeforeAck = { peerId, reason: why };
    } else if (this.currentState === 'asked' && peerId === this.askedBy) {
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
    this.emitLocal('error', P2pError.fromPayload(payload));
  };

  /**
   * A lost connection (not one closed on purpose) of a paired client that will reconnect by itself: keep the peer and
   * wait for the server's P2P_SESSION, bounded by `resumeTimeoutMs`. Anything else ends the pairing here.
   */
  private readonly onSocketDisconnect = (reason: string): void => {
    const willReconnect = reason !== 'io client disconnect' && reason !== 'io server disconnect' && this.socket.io.reconnection();
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
    const { resumed, peerId } = (typeof payload === 'object' && payload !== null ? payload : {}) as SessionPayload;
    clearTimeout(this.resumeTimer);
    this.resumeTimer = undefined;
    if (resumed === true && typeof peerId === 'string') {
      if (this.currentState === 'resuming' && this.currentPeer === peerId) {
        this.currentState = 'paired';
        this.emitLocal('resumed', peerId);
      } else {
        if (this.currentState === 'resuming') this.becomeIdle(this.currentPeer, P2pDisconnectReason.DISCONNECTED);
        this.becomePaired(peerId);
      }
    } else if (this.currentState === 'resuming') {
      this.becomeIdle(this.currentPeer, P2pDisconnectReason.DISCONNECTED);
    }
  };
}
