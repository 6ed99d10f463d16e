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
  timer: NodeJS.Timeout;
  /** The target was sent the source's e2e pre-commitment: the target's key, if its consent has one, goes back. */
  committed: boolean;
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

/**
 * The pairing requests of the sources connected to this node, by request id: those the store opened, and those it is
 * opening. A crossing request (on another node, or read first here) can settle a request before this node has read
 * the store's answer to opening it; that outcome waits here until it is read.
 */
export class OpenRequests {
  private readonly open = new Map<string, OpenRequest>();
  private readonly opening = new Map<string, EarlyOutcome>();

  get size(): number {
    return this.open.size;
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

  /** Runs `reserve` (the store opening `requestId`) with the request marked as being opened. */
  async opened<T>(requestId: string, reserve: () => Promise<T>): Promise<{ reserved: T; early: EarlyOutcome }> {
    const early: EarlyOutcome = {};
    this.opening.set(requestId, early);
    try {
      return { reserved: await reserve(), early };
    } finally {
      this.opening.delete(requestId);
    }
  }

  add(open: OpenRequest): void {
    this.open.set(open.request.requestId, open);
  }

  /**
   * Removes the open request `requestId` and clears its timer. A request still being opened keeps `error` (undefined:
   * consented) for when it is read; any other request is not this node's: undefined.
   */
  take(requestId: string, error?: P2pError): OpenRequest | undefined {
    const open = this.open.get(requestId);
    if (!open) {
      const early = this.opening.get(requestId);
      if (early) early.settled = error ? { error } : {};
      return undefined;
    }
    this.open.delete(requestId);
    clearTimeout(open.timer);
    return open;
  }
}
