import type { Subject } from 'rxjs';
import { type E2eCommitAnswer, P2pDisconnectReason, P2pError, P2pEvent, type P2pTransport } from 'nest-p2p-gateway-protocol';
import type { ClientTransport } from './client-transport.interface.js';
import { RelayStats } from './relay.stats.js';
import type { E2eConsent, PairAsking, PairRequestCallback } from './open-requests.registry.js';
import { OpenRequests, answeredInfo } from './open-requests.registry.js';
import { ClientTurns } from './client-turns.queue.js';
import { GraceTimers } from './grace.timers.js';
import { StoreRetryScheduler } from './store-retry.scheduler.js';
import { PairRequestOpener, type RequestSettling } from './pair-request.opener.js';
import type { Settling } from './settling.type.js';
import { answeredRequestOf } from './answered-request.of.js';
import { LifecycleEvents } from './lifecycle-events.emitter.js';
import type { P2pLifecycleEvent } from './p2p-lifecycle.event.js';
import type { ResolvedP2pOptions } from '../options/p2p-options.resolve.js';
import {
  type ClientRecord,
  type ConfirmOutcome,
  type PairingRequest,
  type PairingStore,
  type RegisterOutcome,
  type RemovedClient,
  type ResumedClient,
  type UnpairOutcome,
} from '../stores/pairing-store.interface.js';

export type { E2eConsent, PairRequestCallback } from './open-requests.registry.js';
export type { Settling } from './settling.type.js';

/**
 * The pairing logic: every state change goes through the store first, then the cached peers and the notices follow.
 * Knows sockets only as connection ids behind a ClientTransport.
 */
export class PairingEngine {
  /** Call sites check `lifecycle.watched` before building an event: nothing is built for nobody. */
  private readonly lifecycle = new LifecycleEvents();
  readonly events$: Subject<P2pLifecycleEvent> = this.lifecycle.subject;
  /** What this node relayed between peers; counted by the handlers. */
  readonly relayStats = new RelayStats();
  /** Requests opened (or being opened) by sources connected to this node. */
  private readonly openRequests: OpenRequests;
  private readonly turns = new ClientTurns();
  /** Opens the requests of this node's sources. */
  private readonly opener: PairRequestOpener;
  private readonly retries = new StoreRetryScheduler();
  private readonly graceTimers = new GraceTimers();
  private transport?: ClientTransport;
  private closed = false;

  /** What this node's engine holds (diagnostics: both 0 once every client has left for good). */
  heldCounts(): { openRequests: number; graceTimers: number; expiryTimers: number } {
    return { openRequests: this.openRequests.size, graceTimers: this.graceTimers.size, expiryTimers: this.openRequests.timers };
  }

  constructor(
    readonly store: PairingStore,
    readonly options: ResolvedP2pOptions,
  ) {
    this.openRequests = new OpenRequests(options.pairTimeoutMs, (open) => this.retries.run(() => this.expire(open.request)));
    const settling: RequestSettling = {
      store,
      options,
      transport: () => this.wire,
      closeRequest: (request, error, e2e) => this.closeRequest(request, error, e2e),
      answerLocalRequest: (request, error, e2e) => this.answerLocalRequest(request, error, e2e),
    };
    this.opener = new PairRequestOpener(settling, this.lifecycle, this.openRequests, this.retries);
  }

  attachTransport(transport: ClientTransport): void {
    this.transport = transport;
  }

  private get wire(): ClientTransport {
    if (!this.transport) throw new Error('P2pModule: the gateway has not been initialised yet');
    return this.transport;
  }

  /**
   * Registers a new connection. A connection it displaces is ended as if it had left; a pairing it resumes (same
   * session) is completed by `activate` once Socket.IO has connected the socket.
   */
  async connect(record: ClientRecord): Promise<RegisterOutcome> {
    const outcome = await this.store.registerClient(record, this.options.duplicateClientId);
    if (!outcome.ok) return outcome;
    if (outcome.displaced) {
      // A displaced record may have been held (reconnect grace): its grace has nothing left to end.
      this.endGrace(outcome.displaced.record.connectionId);
      this.settleDeparture(outcome.displaced, P2pDisconnectReason.REPLACED);
      this.wire.disconnect(outcome.displaced.record.connectionId);
    }
    if (outcome.resumed) {
      const { previousConnectionId: previous, peer } = outcome.resumed;
      // The session is back: the grace stops here, and what the transport kept for the previous connection goes to
      // this one as it is admitted (so the transport is not told that the grace ended).
      this.graceTimers.stop(previous);
      // Until `activate` points it at the new connection, the peer holds its relays rather than sending them to the
      // connection being replaced.
      if (peer && peer.detachedUntil === undefined) this.wire.setPeer(peer.connectionId, { clientId: record.clientId });
      this.wire.disconnect(previous, true);
    } else {
      if (this.lifecycle.watched) this.lifecycle.emit({ type: 'connected', clientId: record.clientId });
    }
    return outcome;
  }

  /**
   * Points a resumed connection and its peer at each other, which delivers what the peer's relays held meanwhile.
   * Called once the socket is connected, so nothing is sent to a socket that cannot receive yet.
   */
  activate(connectionId: string, resumed: ResumedClient): void {
    const { record, peer } = resumed;
    if (record.state.kind !== 'paired' || !peer) return;
    const peerConnectionId = peer.detachedUntil === undefined ? peer.connectionId : undefined;
    this.wire.setPeer(connectionId, { clientId: peer.clientId, connectionId: peerConnectionId });
    if (peerConnectionId !== undefined) this.wire.setPeer(peerConnectionId, { clientId: record.clientId, connectionId });
    if (this.lifecycle.watched) this.lifecycle.emit({ type: 'resumed', clientId: record.clientId, peerId: peer.clientId });
  }

  /**
   * A connection dropped without saying goodbye. A paired client with a session is held for `reconnectGraceMs` (its
   * peer's relays are held meanwhile); anyone else leaves at once.
   */
  async drop(clientId: string, connectionId: string, reason: string): Promise<void> {
    await this.hold(clientId, connectionId, reason);
    // No grace began on this node (the store did not hold the record, or the node shuts down): it ends at once. A drop
    // the store could not record (it threw) ends with whoever settles that departure.
    if (!this.graceTimers.has(connectionId)) this.transport?.graceEnded?.(connectionId);
  }

  private async hold(clientId: string, connectionId: string, reason: string): Promise<void> {
    const graceMs = this.options.reconnectGraceMs;
    if (graceMs <= 0) {
      await this.leave(clientId, connectionId, reason);
      return;
    }
    const until = Date.now() + graceMs;
    const outcome = await this.store.detachClient(clientId, connectionId, until);
    if (!outcome) return;
    if (outcome.removed) return this.settleDeparture(outcome.removed, reason);
    const { peer } = outcome;
    if (peer && peer.detachedUntil === undefined) this.wire.setPeer(peer.connectionId, { clientId });
    // A node shutting down (drain) leaves the end of the hold to the store: the other nodes' sweep, or the comeback.
    if (this.closed) return;
    // The grace's one clock: when it runs out, the record leaves and the transport drops what it kept for it.
    this.graceTimers.start(connectionId, graceMs, () => {
      this.endGrace(connectionId);
      this.retries.run(() => this.leave(clientId, connectionId, reason));
    });
    if (this.lifecycle.watched) this.lifecycle.emit({ type: 'away', clientId, peerId: peer?.clientId ?? '', until });
  }

  /**
   * Ends the reconnect grace of a dropped connection: its timer, and what the transport kept for it. Also when its
   * session was taken by another node (the transport tells).
   */
  endGrace(connectionId: string): void {
    this.graceTimers.stop(connectionId);
    this.transport?.graceEnded?.(connectionId);
  }

  /** Ends the hold of a record kept for reconnect grace whose pairing is gone: its grace, then the record. */
  private async releaseHeld(record: ClientRecord, reason: string): Promise<void> {
    this.endGrace(record.connectionId);
    await this.leave(record.clientId, record.connectionId, reason).catch(() => undefined);
  }

  /** Removes a connection that left; a no-op when that connection no longer holds the id. */
  async leave(clientId: string, connectionId: string, reason: string): Promise<boolean> {
    const removed = await this.store.removeClient(clientId, connectionId);
    if (!removed) return false;
    this.settleDeparture(removed, reason);
    return true;
  }

  /**
   * Opens a pairing request from `sourceId` to `targetId`; `callback` gets the outcome exactly once. Each client's
   * requests and answers take effect in the order they came (ClientTurns). `e2eCommitment`: the source's e2e
   * pre-commitment (docs/e2e.md), passed on only to a target that declared the ability, kept only while it is open.
   */
  requestPairing(sourceId: string, targetId: string, callback: PairRequestCallback, e2eCommitment?: string): Settling<void> {
    const asking: PairAsking = { sourceId, targetId, callback, e2eCommitment };
    // The host app's hooks first, when it set any (they may refuse), then the request itself.
    return this.turns.run(sourceId, () => this.opener.open(asking));
  }

  /**
   * The target's answer to the request open to it. `claimedSourceId`, when the client names one, must match.
   * Resolves to the error to report to the target, or undefined when its answer took effect. `e2e`: the target's e2e
   * key with its consent, passed on to the source with the pairing's answer (then marked `passed`), never kept.
   */
  answerRequest(targetId: string, consent: boolean, claimedSourceId?: string, e2e?: E2eConsent): Settling<P2pError | undefined> {
    return this.turns.run(targetId, () => {
      const immediate = this.store.immediate;
      if (!immediate) return this.answerLater(targetId, consent, claimedSourceId, e2e);
      const request = answeredRequestOf(immediate.getClient(targetId), targetId, consent, claimedSourceId);
      if (!request || request instanceof P2pError) return request;
      if (consent) return this.confirmed(request, immediate.confirmPairing(request), e2e);
      return this.refused(request, immediate.cancelPairing(request));
    });
  }

  private async answerLater(targetId: string, consent: boolean, claimedSourceId?: string, e2e?: E2eConsent): Promise<P2pError | undefined> {
    const request = answeredRequestOf(await this.store.getClient(targetId), targetId, consent, claimedSourceId);
    if (!request || request instanceof P2pError) return request;
    if (consent) return this.confirmed(request, await this.store.confirmPairing(request), e2e);
    return this.refused(request, await this.store.cancelPairing(request));
  }

  private refused(request: PairingRequest, cancelled: boolean): P2pError | undefined {
    if (!cancelled) return new P2pError('NO_PENDING_REQUEST');
    this.closeRequest(request, new P2pError('PAIR_REFUSED', undefined, P2pEvent.REGISTER));
    return undefined;
  }

  private confirmed(request: PairingRequest, confirmed: ConfirmOutcome, e2e: E2eConsent | undefined): P2pError | undefined {
    if (!confirmed.ok) return new P2pError('NO_PENDING_REQUEST');
    const { source, target: paired } = confirmed;
    this.wire.setPeer(source.connectionId, { clientId: paired.clientId, connectionId: paired.connectionId });
    this.wire.setPeer(paired.connectionId, { clientId: source.clientId, connectionId: source.connectionId });
    this.closeRequest(request, undefined, e2e?.answer);
    if (e2e) e2e.passed = true;
    return undefined;
  }

  /** `P2P_UNREGISTER`: the client ends its pairing, in turn after its own requests and answers sent before it. */
  unregister(clientId: string): Settling<boolean> {
    return this.turns.run(clientId, () => {
      const immediate = this.store.immediate;
      if (!immediate) return this.unpair(clientId, P2pDisconnectReason.UNREGISTERED, false);
      return this.unpaired(immediate.unpair(clientId), clientId, P2pDisconnectReason.UNREGISTERED, false);
    });
  }

  /**
   * Ends the pairing of `clientId`. The peer is told why; with `notifyBoth` (the host app acting), so is the client.
   * False when it was not paired.
   */
  async unpair(clientId: string, reason: string, notifyBoth: boolean): Promise<boolean> {
    return this.unpaired(await this.store.unpair(clientId), clientId, reason, notifyBoth);
  }

  /** What follows the store's end of a pairing; a promise only when a side was away (its hold ends too). */
  private unpaired(ended: UnpairOutcome | undefined, clientId: string, reason: string, notifyBoth: boolean): Settling<boolean> {
    if (!ended) return false;
    const { record, peer } = ended;
    this.wire.setPeer(record.connectionId, undefined);
    this.wire.setPeer(peer.connectionId, undefined);
    this.wire.send(peer.connectionId, P2pEvent.DISCONNECT, clientId, reason);
    if (notifyBoth) this.wire.send(record.connectionId, P2pEvent.DISCONNECT, peer.clientId, reason);
    if (this.lifecycle.watched) this.lifecycle.emit({ type: 'unpaired', clientId, peerId: peer.clientId, reason });
    // A side that was away only stayed for its pairing: with the pairing gone, so is it.
    if (record.detachedUntil === undefined && peer.detachedUntil === undefined) return true;
    // Copies taken now: the immediate store calls answer with the store's own records, read in this step only.
    return this.releaseBoth(
      record.detachedUntil === undefined ? undefined : { ...record },
      peer.detachedUntil === undefined ? undefined : { ...peer },
      reason,
    );
  }

  private async releaseBoth(record: ClientRecord | undefined, peer: ClientRecord | undefined, reason: string): Promise<boolean> {
    if (record) await this.releaseHeld(record, reason);
    if (peer) await this.releaseHeld(peer, reason);
    return true;
  }

  /**
   * Records the path a paired client reports for its traffic (`P2P_TRANSPORT`), in the store first. False when that
   * connection does not hold a paired client.
   */
  async reportTransport(clientId: string, connectionId: string, transport: P2pTransport): Promise<boolean> {
    if (!(await this.store.setTransport(clientId, connectionId, transport))) return false;
    // The event names the peer: read only when someone follows the events.
    const record = this.lifecycle.watched ? await this.store.getClient(clientId) : undefined;
    if (record?.state.kind === 'paired') this.lifecycle.emit({ type: 'transport', clientId, peerId: record.state.peerId, transport });
    return true;
  }

  /** Removes a client on the host app's behalf, tells whoever it was bound to why, then closes its connection. */
  async disconnect(clientId: string, reason: string): Promise<boolean> {
    const record = await this.store.getClient(clientId);
    if (!record) return false;
    const left = await this.leave(clientId, record.connectionId, reason);
    this.wire.disconnect(record.connectionId);
    return left;
  }

  /** Clears every timer; open requests are refused with PEER_DISCONNECTED. */
  close(): void {
    this.closed = true;
    this.retries.close();
    for (const connectionId of this.graceTimers.connectionIds()) this.endGrace(connectionId);
    for (const open of this.openRequests.values()) {
      this.closeRequest(open.request, new P2pError('PEER_DISCONNECTED', 'the gateway is shutting down', P2pEvent.REGISTER));
    }
    this.openRequests.close();
    this.lifecycle.complete();
  }

  private async expire(request: PairingRequest): Promise<void> {
    const open = this.openRequests.get(request.requestId);
    if (!open) return;
    if (await this.store.cancelPairing(request)) {
      this.closeRequest(request, new P2pError('PAIR_TIMEOUT', undefined, P2pEvent.REGISTER));
      this.wire.send(open.targetConnectionId, P2pEvent.DISCONNECT, request.sourceId, P2pDisconnectReason.PAIR_TIMEOUT);
      return;
    }
    // Not in the store, yet unanswered here: settled elsewhere and the message bringing the answer was lost (a node
    // channel's shard failing over), or a failover lost the reservation. What the store says now answers the source.
    const source = await this.store.getClient(request.sourceId);
    const paired = source?.state.kind === 'paired' && source.state.peerId === request.targetId;
    this.answerLocalRequest(request, paired ? undefined : new P2pError('PAIR_TIMEOUT', undefined, P2pEvent.REGISTER));
  }

  /** Settles a request: answers its source (on this node, or the node it was opened on), with the target's e2e key. */
  private closeRequest(request: PairingRequest, error?: P2pError, e2e?: E2eCommitAnswer): void {
    if (this.openRequests.isLocal(request.requestId)) this.answerLocalRequest(request, error, e2e);
    else this.wire.requestDone?.(request, error, e2e);
  }

  /** Answers the source of a request opened on this node; a no-op for any other request. */
  answerLocalRequest(request: PairingRequest, error?: P2pError, e2e?: E2eCommitAnswer): void {
    // A request whose opening is still on its way back from the store is answered as soon as that is read.
    const open = this.openRequests.take(request.requestId, error);
    if (!open) return;
    const { sourceId, targetId } = request;
    if (this.lifecycle.watched) {
      if (error) this.lifecycle.emit({ type: 'pair-refused', sourceId, targetId, code: error.code });
      else this.lifecycle.emit({ type: 'paired', sourceId, targetId });
    }
    open.callback(error, error ? undefined : answeredInfo(open, e2e));
  }

  /** After a client left the store (here, or swept from a dead node): free and notify whoever its state named. */
  settleDeparture({ record, leftState, other }: RemovedClient, reason: string): void {
    const clientId = record.clientId;
    if (this.lifecycle.watched) this.lifecycle.emit({ type: 'disconnected', clientId, reason });
    if (leftState.kind === 'free') return;
    if (leftState.kind === 'paired') {
      if (!other) return;
      this.wire.setPeer(other.connectionId, undefined);
      this.wire.send(other.connectionId, P2pEvent.DISCONNECT, clientId, reason);
      if (this.lifecycle.watched) this.lifecycle.emit({ type: 'unpaired', clientId, peerId: other.clientId, reason });
      // A peer that was away only stayed for this pairing: with the pairing gone, so is it.
      if (other.detachedUntil !== undefined) void this.releaseHeld(other, reason);
      return;
    }
    const request: PairingRequest =
      leftState.kind === 'asking'
        ? { requestId: leftState.requestId, sourceId: clientId, targetId: leftState.otherId }
        : { requestId: leftState.requestId, sourceId: leftState.otherId, targetId: clientId };
    this.closeRequest(request, new P2pError('PEER_DISCONNECTED', undefined, P2pEvent.REGISTER));
    // The target of a withdrawn request is told, so an original client that assumed the pairing forgets it.
    if (leftState.kind === 'asking' && other) this.wire.send(other.connectionId, P2pEvent.DISCONNECT, clientId, reason);
  }
}
