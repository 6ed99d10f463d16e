import { Logger } from '@nestjs/common';
import { P2pError } from 'nest-p2p-gateway-protocol';
import type { P2pAuthenticateHook, P2pHandshake } from './p2p-auth.types.js';
import { runBounded } from './bounded-hook.runner.js';
import { printable } from '../logging/gateway.logger.js';

const logger = new Logger('P2pGateway');

function clientIdOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value.length > 0 ? value : undefined;
  if (typeof value === 'object' && value !== null) {
    const { clientId } = value as { clientId?: unknown };
    if (typeof clientId === 'string' && clientId.length > 0) return clientId;
  }
  return undefined;
}

/** Runs `authenticate` within `timeoutMs`: resolves to the authenticated clientId, or to UNAUTHORIZED. */
export async function authenticateHandshake(
  authenticate: P2pAuthenticateHook,
  handshake: P2pHandshake,
  timeoutMs: number,
): Promise<string | P2pError> {
  const outcome = await runBounded(() => authenticate(handshake), timeoutMs);
  if (!outcome.ok) {
    if (outcome.timedOut) logger.warn(`authenticate did not answer within ${timeoutMs} ms; the connection is refused`);
    else logger.debug(`authenticate threw: ${printable(String(outcome.error))}`);
    return new P2pError('UNAUTHORIZED');
  }
  const clientId = clientIdOf(outcome.value);
  if (clientId === undefined) {
    const refused = outcome.value === null || outcome.value === false || outcome.value === undefined || outcome.value === '';
    if (!refused) logger.warn('authenticate returned neither a clientId, {clientId}, null nor false; the connection is refused');
    return new P2pError('UNAUTHORIZED');
  }
  return clientId;
}
