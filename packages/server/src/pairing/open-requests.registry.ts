import type { E2eCommitAnswer, P2pError, PeerInfo } from 'nest-p2p-gateway-protocol';
import type { PairingRequest } from '../stores/pairing-store.interface.js';

/** Receives the outcome of a pairing request: undefined on success, with what the source learns of its new peer. */
export type PairRequestCallback = (error: P2pError | undefined, peer?: PeerInfo) => void;

/** A request the store opened for a source connected to this node. */
export interface OpenRequest {
  request: PairingRequest;
  targetConnectionId: string;
  /** What the source is told of the target when the pairing begins. */
  targetInfo: PeerInfo;
  callback: PairRequestCallback;
  /** The target was sent the source's e2e pre-commitment: the target's key, if its consent has one, goes back. */
  committed: boolean;
  /** When it times out (`performance.now()` clock); set by `add`. */
  expiresAt: number;
  /** Its timeout was reported (the expiry is under way): not reported again. */
  expired: boolean;
}

/** A pairing request on its way to the store: who asks whom, who gets the answer, the source's e2e pre-commitment. */
export interface PairAsking {
  sourceId: string;
  targetId: string;
  callback: PairRequestCallback;
  e2eCommitment: string | undefined;
}

/** The target's e2e key with its consent (docs/e2e.md); `passed` once it went with the pairing's answer. */
export interface E2eConsent {
  answer: E2eCommitAnswer;
  passed?: boolean;
}

/** What the source of `open` learns of its new peer: with the target's e2e key when its request carried a commitment. */
export function answeredInfo(open: OpenRequest, e2e: E2eCommitAnswer | undefined): PeerInfo {
  return open.committed && e2e ? { ...open.targetInfo, e2eKey: e2e.e2eKey, e2eNonce: e2e.e2eNonce } : open.targetInfo;
}

/** How a request ended while the store's answer to opening it was still on its way back. */
export interface EarlyOutcome {
  settled?: { error?: P2pError };
}

/** A timer that fires this close before a request's deadline counts as on time (timers round to the millisecond). */
const EARLY_MS = 1;

/**
 * The pairing requests of the sources connected to this node, by request id: those the store opened, and those it is
 * opening. A crossing request (on another node, or read first here) can settle a request before this node has read
 * the store's answer to opening it; that outcome waits here until it is read.
 *
 * Expiry: every request gets the same timeout, so the open requests expire in the order they were added, the order of
 * the Map. One timer, armed for the oldest one's deadline, serves them all: a request answered at once (the common
 * case) costs no timer of its own, and none is left armed once nothing is open.
 */
export class OpenRequests {
  private readonly open = new Map<string, OpenRequest>();
  private readonly opening = new Map<string, EarlyOutcome>();
  private timer: NodeJS.Timeout | undefined;
  private readonly sweep = () => this.expireDue();

  constructor(
    private readonly timeoutMs: number,
    /** Told once of each request past its deadline; it settles the request (`take`) when it has dealt with it. */
    private readonly onExpired: (open: OpenRequest) => void,
  ) {}

  get size(): number {
    return this.open.size;
  }

  /** Expiry timers armed: 1 while a request is open, else 0 (diagnostics). */
  get timers(): number {
    return this.timer === undefined ? 0 : 1;
  }

  /** Whether the request belongs to this node: open here, or being opened. */
  isLocal(requestId: string): boolean {
    return this.open.has(requestId) || this.opening.has(requestId);
  }

  get(requestId: string): OpenRequest | undefined {
    return this.open.get(requestId);
  }

  values(): IterableIterator<OpenRequest> {
    return this.open.values();
  }

  /**
   * Marks `requestId` as being opened (the store reserving it) until `endOpening`: how it ends meanwhile is kept in
   * the returned record for when the store's answer is read.
   */
  beginOpening(requestId: string): EarlyOutcome {
    const early: EarlyOutcome = {};
    this.opening.set(requestId, early);
    return early;
  }

  endOpening(requestId: string): void {
    this.opening.delete(requestId);
  }

  /** Adds an open request; it expires `timeoutMs` from now unless taken first. */
  add(open: OpenRequest): void {
    open.expiresAt = performance.now() + this.timeoutMs;
    this.open.set(open.request.requestId, open);
    // Any request already open expires before this one: a timer armed for it serves.
    if (this.timer === undefined) this.arm(this.timeoutMs);
  }

  /**
   * Removes the open request `requestId`. A request still being opened keeps `error` (undefined: consented) for when it
   * is read; any other request is not this node's: undefined.
   */
  take(requestId: string, error?: P2pError): OpenRequest | undefined {
    const open = this.open.get(requestId);
    if (!open) {
      const early = this.opening.get(requestId);
      if (early) early.settled = error ? { error } : {};
      return undefined;
    }
    this.open.delete(requestId);
    // Nothing left to time out: no timer stays armed. Otherwise the armed one finds the next deadline when it fires.
    if (this.open.size === 0) this.disarm();
    return open;
  }

  /** Stops the expiry timer (the engine closes). */
  close(): void {
    this.disarm();
  }

  private arm(delayMs: number): void {
    this.timer = setTimeout(this.sweep, Math.max(0, Math.ceil(delayMs)));
  }

  private disarm(): void {
    if (this.timer === undefined) return;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Reports every request past its deadline, oldest first, then arms the timer for the next deadline. */
  private expireDue(): void {
    this.timer = undefined;
    const now = performance.now();
    const due: OpenRequest[] = [];
    let next: number | undefined;
    for (const open of this.open.values()) {
      // Reported already, its expiry waiting on the store (retried while Redis is away): not due again.
      if (open.expired) continue;
      if (open.expiresAt > now + EARLY_MS) {
        next = open.expiresAt;
        break;
      }
      open.expired = true;
      due.push(open);
    }
    // Requests whose expiry is under way need no timer: they were reported, and settle (take) when it is done.
    if (next !== undefined) this.arm(next - now);
    for (const open of due) this.onExpired(open);
  }
}
