import { P2pDisconnectReason, P2pError, type P2pErrorCode, P2pEvent } from '../../protocol/index.js';
import type { ConnectionLimitChecks, P2pSocket } from '../transport/p2p-connection.state.js';
import type { ResolvedP2pLimits, ResolvedRate } from './p2p-limits.options.js';
import { meterRelaySizes, relayBytesOf } from '../transport/socket-decoder.hooks.js';
import { TokenBucket, limitsClock } from './token.bucket.js';

const VIOLATION_WINDOW_MS = 60_000;

function bucket(rate: ResolvedRate | undefined, now: number): TokenBucket | undefined {
  return rate && new TokenBucket(rate.perMs, rate.burst, now);
}

/**
 * One connection's rate and size limits. Each check returns the error to answer with, or undefined; a refusal counts
 * as a violation, and too many close the connection (after the refusal has been sent).
 */
export class ConnectionLimits implements ConnectionLimitChecks {
  private readonly relayMessages?: TokenBucket;
  private readonly relayBytes?: TokenBucket;
  private readonly pairRequests?: TokenBucket;
  private readonly listRequests?: TokenBucket;
  private readonly violations?: TokenBucket;
  private readonly maxMessageBytes: number;
  private readonly stopMetering?: () => void;
  private closing = false;

  constructor(
    private readonly socket: P2pSocket,
    limits: ResolvedP2pLimits,
  ) {
    const now = limitsClock.now();
    this.relayMessages = bucket(limits.relayMessages, now);
    this.relayBytes = bucket(limits.relayBytes, now);
    this.pairRequests = bucket(limits.pairRequests, now);
    this.listRequests = bucket(limits.listRequests, now);
    const allowed = limits.disconnectAfterViolations;
    this.violations = allowed === undefined ? undefined : new TokenBucket(allowed / VIOLATION_WINDOW_MS, allowed, now);
    this.maxMessageBytes = limits.maxMessageBytes ?? Infinity;
    if (limits.maxMessageBytes !== undefined || limits.relayBytes) {
      this.stopMetering = meterRelaySizes(socket);
      socket.once('disconnect', this.stopMetering);
    }
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
    return this.relayMessages && !this.relayMessages.take(1, limitsClock.now()) ? this.violation('RATE_LIMITED', event) : undefined;
  }

  /** A relay that is about to be delivered: its size, then its bytes from the byte rate. */
  checkRelaySize(payload: unknown, event: string): P2pError | undefined {
    const bytes = relayBytesOf(payload);
    if (bytes > this.maxMessageBytes) {
      return this.violation('PAYLOAD_TOO_LARGE', event, `the message is ${bytes} bytes; the limit is ${this.maxMessageBytes}`);
    }
    if (this.relayBytes && !this.relayBytes.take(bytes, limitsClock.now())) return this.violation('RATE_LIMITED', event);
    return undefined;
  }

  checkPairRequest(): P2pError | undefined {
    return this.pairRequests && !this.pairRequests.take(1, limitsClock.now())
      ? this.violation('RATE_LIMITED', P2pEvent.REGISTER)
      : undefined;
  }

  checkListRequest(): P2pError | undefined {
    return this.listRequests && !this.listRequests.take(1, limitsClock.now())
      ? this.violation('RATE_LIMITED', P2pEvent.LIST_CLIENTS)
      : undefined;
  }

  private violation(code: P2pErrorCode, event: string, message?: string): P2pError {
    if (this.violations && !this.violations.take(1, limitsClock.now())) this.close();
    return new P2pError(code, message, event);
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
