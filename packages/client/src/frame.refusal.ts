import { type P2pErrorCode, isP2pErrorCode } from 'nest-p2p-gateway-protocol';

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
