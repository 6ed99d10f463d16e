import { type P2pErrorCode, isP2pErrorCode } from 'nest-p2p-gateway-protocol';

/** The longest pause between probes while the server refuses frames for a passing cause. */
export const MAX_REFUSAL_BACKOFF_MS = 2_000;

/** Codes of refusals that sending again cannot cure; any other (peer away or slow, a rate, Redis) passes. */
export const PERMANENT_REFUSALS: ReadonlySet<string> = new Set<P2pErrorCode>([
  'PAYLOAD_TOO_LARGE',
  'TOO_MANY_ATTACHMENTS',
  'INVALID_PAYLOAD',
  'RESERVED_EVENT',
]);

/** Reads a `P2P_ERROR` payload about a refused frame: its code, message and the frame's number. */
export function frameRefusal(payload: unknown): { seq?: number; code: P2pErrorCode; message: string } | undefined {
  if (typeof payload !== 'object' || payload === null) return undefined;
  const { code, message, seq } = payload as Record<string, unknown>;
  if (!isP2pErrorCode(code)) return undefined;
  return {
    code,
    message: typeof message === 'string' ? message : code,
    ...(typeof seq === 'number' ? { seq } : {}),
  };
}
