import { P2P_ERROR_MESSAGES, type P2pErrorCode, isP2pErrorCode } from './p2p-error.codes.js';
import type { P2pErrorPayload } from './p2p.payloads.js';

/** An error with a stable code, as thrown and rejected by both sides. */
export class P2pError extends Error {
  override readonly name = 'P2pError';

  constructor(
    readonly code: P2pErrorCode,
    message: string = P2P_ERROR_MESSAGES[code],
    /** The event the failure belongs to, when there is one. */
    readonly event?: string,
  ) {
    super(message);
  }

  toPayload(): P2pErrorPayload {
    return this.event === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, event: this.event };
  }

  /** Rebuilds an error received on the wire; anything unrecognisable becomes INTERNAL_ERROR. */
  static fromPayload(payload: unknown): P2pError {
    if (typeof payload === 'object' && payload !== null) {
      const { code, message, event } = payload as Record<string, unknown>;
      if (isP2pErrorCode(code)) {
        return new P2pError(
          code,
          typeof message === 'string' ? message : P2P_ERROR_MESSAGES[code],
          typeof event === 'string' ? event : undefined,
        );
      }
    }
    return new P2pError('INTERNAL_ERROR');
  }
}
