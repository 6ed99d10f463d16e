import { P2pDisconnectReason, P2pError, type P2pErrorCode, P2pEvent } from 'nest-p2p-gateway-protocol';
import type { ConnectionLimitChecks, P2pSocket } from '../connection/p2p-connection.state.js';
import type { ResolvedP2pLimits } from '../options/p2p-limits.options.js';
import { meterRelaySizes, relayBytesOf } from '../connection/socket-decoder.hooks.js';
import { limitsClock, refilledTokens as refilled } from './token.bucket.js';

const VIOLATION_WINDOW_MS = 60_000;

/**
 * One connection's rate and size limits. Each check returns the error to answer with, or undefined; a refusal counts
 * as a violation, and too many close the connection (after the refusal has been sent).
 *
 * The five token buckets (relay messages, relay bytes, pairing requests, list requests, violations) are numeric fields
 * of this one object, each a token count and the time it was last read, rather than five bucket objects: this
 * is built for every connection, and the rates are the gateway's, read from its resolved limits. A bucket whose rate
 * is off is never read.
 */
export class ConnectionLimits implements ConnectionLimitChecks {
  private relayMessageTokens: number;
  private relayMessagesAt: number;
  private relayByteTokens: number;
  private relayBytesAt: number;
  private pairRequestTokens: number;
  private pairRequestsAt: number;
  private listRequestTokens: number;
  private listRequestsAt: number;
  private violationTokens: number;
  private violationsAt: number;
  private closing = false;

  constructor(
    private readonly socket: P2pSocket,
    private readonly limits: ResolvedP2pLimits,
  ) {
    const now = limitsClock.now();
    this.relayMessageTokens = limits.relayMessages?.burst ?? 0;
    this.relayByteTokens = limits.relayBytes?.burst ?? 0;
    this.pairRequestTokens = limits.pairRequests?.burst ?? 0;
    this.listRequestTokens = limits.listRequests?.burst ?? 0;
    this.violationTokens = limits.disconnectAfterViolations ?? 0;
    this.relayMessagesAt = this.relayBytesAt = this.pairRequestsAt = this.listRequestsAt = this.violationsAt = now;
    if (limits.maxMessageBytes !== undefined || limits.relayBytes) meterRelaySizes(socket, limits.maxMessageBytes);
  }

  /** Limits for a new connection, or undefined when every per-connection limit is off. */
  static for(socket: P2pSocket, limits: ResolvedP2pLimits): ConnectionLimits | undefined {
    const { maxMessageBytes, relayMessages, relayBytes, pairRequests, listRequests } = limits;
    if (maxMessageBytes === undefined && !relayMessages && !relayBytes && !pairRequests && !listRequests) return undefined;
    return new ConnectionLimits(socket, limits);
  }

  /**
   * A relay attempt (`event` is P2P_EMIT or P2P_EMIT_ACKNOWLEDGE), before anything else is looked at: one message
   * from the rate, so floods of malformed relays are limited too.
   */
  checkRelayRate(event: string): P2pError | undefined {
    const rate = this.limits.relayMessages;
    if (!rate) return undefined;
    const now = limitsClock.now();
    const tokens = refilled(this.relayMessageTokens, this.relayMessagesAt, now, rate.perMs, rate.burst);
    if (now > this.relayMessagesAt) this.relayMessagesAt = now;
    if (tokens < 1) {
      this.relayMessageTokens = tokens;
      return this.violation('RATE_LIMITED', event);
    }
    this.relayMessageTokens = tokens - 1;
    return undefined;
  }

  /**
   * A relay that is about to be delivered: its size, then its bytes from the byte rate. Both as it will be delivered:
   * an attachment the sender's placeholders name several times counts each time (Socket.IO sends it that often).
   */
  checkRelaySize(payload: unknown, event: string): P2pError | undefined {
    const bytes = relayBytesOf(payload);
    const maxMessageBytes = this.limits.maxMessageBytes;
    if (maxMessageBytes !== undefined && bytes > maxMessageBytes) {
      return this.violation('PAYLOAD_TOO_LARGE', event, `the message is ${bytes} bytes as delivered; the limit is ${maxMessageBytes}`);
    }
    const rate = this.limits.relayBytes;
    if (!rate) return undefined;
    const now = limitsClock.now();
    const tokens = refilled(this.relayByteTokens, this.relayBytesAt, now, rate.perMs, rate.burst);
    if (now > this.relayBytesAt) this.relayBytesAt = now;
    if (tokens < bytes) {
      this.relayByteTokens = tokens;
      return this.violation('RATE_LIMITED', event);
    }
    this.relayByteTokens = tokens - bytes;
    return undefined;
  }

  checkPairRequest(): P2pError | undefined {
    const rate = this.limits.pairRequests;
    if (!rate) return undefined;
    const now = limitsClock.now();
    const tokens = refilled(this.pairRequestTokens, this.pairRequestsAt, now, rate.perMs, rate.burst);
    if (now > this.pairRequestsAt) this.pairRequestsAt = now;
    if (tokens < 1) {
      this.pairRequestTokens = tokens;
      return this.violation('RATE_LIMITED', P2pEvent.REGISTER);
    }
    this.pairRequestTokens = tokens - 1;
    return undefined;
  }

  checkListRequest(): P2pError | undefined {
    const rate = this.limits.listRequests;
    if (!rate) return undefined;
    const now = limitsClock.now();
    const tokens = refilled(this.listRequestTokens, this.listRequestsAt, now, rate.perMs, rate.burst);
    if (now > this.listRequestsAt) this.listRequestsAt = now;
    if (tokens < 1) {
      this.listRequestTokens = tokens;
      return this.violation('RATE_LIMITED', P2pEvent.LIST_CLIENTS);
    }
    this.listRequestTokens = tokens - 1;
    return undefined;
  }

  private violation(code: P2pErrorCode, event: string, message?: string): P2pError {
    if (this.violationAllowed()) return new P2pError(code, message, event);
    this.close();
    return new P2pError(code, message, event);
  }

  /** Takes one violation from the allowance (`disconnectAfterViolations` per minute); false once it is used up. */
  private violationAllowed(): boolean {
    const allowed = this.limits.disconnectAfterViolations;
    if (allowed === undefined) return true;
    const now = limitsClock.now();
    const tokens = refilled(this.violationTokens, this.violationsAt, now, allowed / VIOLATION_WINDOW_MS, allowed);
    if (now > this.violationsAt) this.violationsAt = now;
    if (tokens < 1) {
      this.violationTokens = tokens;
      return false;
    }
    this.violationTokens = tokens - 1;
    return true;
  }

  /**
   * Ends the abusive connection once the refusal in hand has been written: its pairing ends at once (the peer gets
   * `P2P_DISCONNECT(clientId, 'DISCONNECTED')`), then the socket is closed.
   */
  private close(): void {
    if (this.closing) return;
    this.closing = true;
    const socket = this.socket;
    process.nextTick(() => {
      const { clientId, gateway } = socket.data.p2p;
      gateway.engine
        .leave(clientId, socket.id, P2pDisconnectReason.DISCONNECTED)
        .catch((cause: unknown) => gateway.reportFailure('limits', cause))
        .finally(() => socket.disconnect(true));
    });
  }
}
