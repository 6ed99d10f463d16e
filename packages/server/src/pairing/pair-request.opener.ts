import { randomUUID } from 'node:crypto';
import { type E2eCommitAnswer, P2pError, type P2pErrorCode, P2pEvent } from 'nest-p2p-gateway-protocol';
import type { ClientTransport } from './client-transport.interface.js';
import { peerInfoOf, targetNoticeOf } from './peer-info.of.js';
import type { EarlyOutcome, OpenRequests, PairAsking, PairRequestCallback } from './open-requests.registry.js';
import type { StoreRetryScheduler } from './store-retry.scheduler.js';
import { hooksApply, hooksRefusal } from './pair-hooks.check.js';
import type { LifecycleEvents } from './lifecycle-events.emitter.js';
import type { Settling } from './settling.type.js';
import type { ResolvedP2pOptions } from '../options/p2p-options.resolve.js';
import {
  type ClientRecord,
  type PairingRequest,
  type PairingStore,
  type ReserveOutcome,
  isStoreUnavailable,
} from '../stores/pairing-store.interface.js';

/** What opening a request needs of the engine: its store and options, its transport, and how requests are settled. */
export interface RequestSettling {
  readonly store: PairingStore;
  readonly options: ResolvedP2pOptions;
  /** The engine's transport (it throws while the gateway is not initialised). */
  transport(): ClientTransport;
  /** Settles a request wherever its source is (this node or another). */
  closeRequest(request: PairingRequest, error?: P2pError, e2e?: E2eCommitAnswer): void;
  /** Answers the source of a request opened on this node. */
  answerLocalRequest(request: PairingRequest, error?: P2pError, e2e?: E2eCommitAnswer): void;
}

/** The early outcome of a request reserved synchronously: nothing settled it meanwhile. */
const NOT_SETTLED: EarlyOutcome = Object.freeze({});

/**
 * Opens a source's pairing request (the engine's `requestPairing`, in the source's turn): the host app's hooks when it
 * set any, then the reservation in the store, then the target is asked (or the source answered at once).
 */
export class PairRequestOpener {
  constructor(
    private readonly settle: RequestSettling,
    private readonly lifecycle: LifecycleEvents,
    private readonly openRequests: OpenRequests,
    private readonly retries: StoreRetryScheduler,
  ) {}

  open(asking: PairAsking): Settling<void> {
    const { sourceId, targetId } = asking;
    return hooksApply(this.settle.options, sourceId, targetId) ? this.openCheckedRequest(asking) : this.reserve(asking);
  }

  private async openCheckedRequest(asking: PairAsking): Promise<void> {
    const { sourceId, targetId, callback } = asking;
    const refused = await hooksRefusal(this.settle.options, sourceId, targetId);
    if (!refused) return this.reserve(asking);
    if (this.lifecycle.watched) this.lifecycle.emit({ type: 'pair-refused', sourceId, targetId, code: refused.code });
    callback(refused);
  }

  /** Reserves the pairing in the store, then asks the target (or answers the source at once). */
  private reserve(asking: PairAsking): Settling<void> {
    const { sourceId, targetId } = asking;
    const request: PairingRequest = { requestId: this.settle.transport().newRequestId?.() ?? randomUUID(), sourceId, targetId };
    // A store that answers at once: nothing can settle the request before its answer is read.
    const immediate = this.settle.store.immediate;
    if (immediate) return this.reserved(request, immediate.reservePairing(request), NOT_SETTLED, asking);
    return this.reserveLater(request, asking);
  }

  private async reserveLater(request: PairingRequest, asking: PairAsking): Promise<void> {
    // Until the store's answer is read here, a crossing request may settle this one already (on another node too).
    const early = this.openRequests.beginOpening(request.requestId);
    let reserved: ReserveOutcome;
    try {
      reserved = await this.settle.store.reservePairing(request);
    } catch (cause) {
      // Unanswered (STORE_UNAVAILABLE), it may be made yet (ioredis retries it) with nobody to ask the target or time
      // it out: withdrawn once it would have timed out (a no-op for one never made, or that a crossing request paired).
      if (isStoreUnavailable(cause)) this.retries.later(this.settle.options.pairTimeoutMs, () => this.settle.store.cancelPairing(request));
      throw cause;
    } finally {
      this.openRequests.endOpening(request.requestId);
    }
    this.reserved(request, reserved, early, asking);
  }

  /** What follows the store's answer to a request (kept out of `reserve`: an async function's frame is per call). */
  private reserved(request: PairingRequest, reserved: ReserveOutcome, early: EarlyOutcome, asking: PairAsking): void {
    const { callback, e2eCommitment } = asking;
    const { sourceId, targetId } = request;
    if (!reserved.ok) {
      const code: P2pErrorCode = reserved.code === 'NOT_CONNECTED' ? 'INTERNAL_ERROR' : reserved.code;
      if (this.lifecycle.watched) this.lifecycle.emit({ type: 'pair-refused', sourceId, targetId, code });
      callback(new P2pError(code, undefined, P2pEvent.REGISTER));
      return;
    }
    const { source, target } = reserved;
    if (reserved.crossed) return this.pairCrossing(source, target, reserved.crossed, callback);
    // Paired with the target already (its consent to the target's request came first): the request's answer is yes.
    if (reserved.already) return callback(undefined, peerInfoOf(source, target));
    // Its timeout runs on the open requests' one expiry timer (no timer per request).
    const targetConnectionId = target.connectionId;
    const notice = targetNoticeOf(source, target, e2eCommitment);
    const committed = notice?.e2eCommitment !== undefined;
    const targetInfo = peerInfoOf(source, target);
    this.openRequests.add({ request, targetConnectionId, targetInfo, callback, committed, expiresAt: 0, expired: false });
    if (this.lifecycle.watched) this.lifecycle.emit({ type: 'pair-requested', sourceId, targetId });
    // Settled before it could be sent: the target needs no asking.
    if (early.settled) return this.settle.answerLocalRequest(request, early.settled.error);
    // Protocol 3 targets also learn the source's version (whether the pairing can run the reliable channel).
    if (notice) this.settle.transport().send(targetConnectionId, P2pEvent.REGISTER, sourceId, notice);
    else this.settle.transport().send(targetConnectionId, P2pEvent.REGISTER, sourceId);
  }

  /**
   * The store paired `source` with `target` at once: its request crossed `crossed`, the target's own request to it,
   * which consents to it. Both requests are answered as consented; the 'paired' event is the crossed request's, so one
   * pairing makes one event. No P2P_REGISTER goes to the target: the one `crossed` sent to the source is settled by
   * the source's own `pair()` resolving (a late consent to it is acknowledged, see `answerRequest`).
   */
  private pairCrossing(source: ClientRecord, target: ClientRecord, crossed: PairingRequest, callback: PairRequestCallback): void {
    this.settle.transport().setPeer(source.connectionId, { clientId: target.clientId, connectionId: target.connectionId });
    this.settle.transport().setPeer(target.connectionId, { clientId: source.clientId, connectionId: source.connectionId });
    this.settle.closeRequest(crossed);
    callback(undefined, peerInfoOf(source, target));
  }
}
