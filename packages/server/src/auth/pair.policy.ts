import { Logger } from '@nestjs/common';
import { P2pError, P2pEvent } from 'nest-p2p-gateway-protocol';
import type { P2pCanPairHook } from './p2p-auth.types.js';
import { runBounded } from './bounded-hook.runner.js';
import { printable } from '../logging/gateway.logger.js';

const logger = new Logger('P2pGateway');

/** Asks `canPair` within `timeoutMs`; resolves to PAIR_FORBIDDEN unless it answered `true`. */
export async function checkPairPolicy(
  canPair: P2pCanPairHook,
  sourceId: string,
  targetId: string,
  timeoutMs: number,
): Promise<P2pError | undefined> {
  const outcome = await runBounded(() => canPair({ clientId: sourceId }, { clientId: targetId }), timeoutMs);
  if (outcome.ok && outcome.value === true) return undefined;
  if (!outcome.ok) {
    const why = outcome.timedOut ? `did not answer within ${timeoutMs} ms` : `threw: ${printable(String(outcome.error))}`;
    logger.warn(`canPair(${printable(sourceId)}, ${printable(targetId)}) ${why}; the pairing is refused`);
  }
  return new P2pError('PAIR_FORBIDDEN', undefined, P2pEvent.REGISTER);
}
