import { createHmac } from 'node:crypto';

/** A TURN REST credential (coturn `use-auth-secret`): valid until `expiresAt` (unix seconds). */
export interface TurnCredential {
  username: string;
  credential: string;
  expiresAt: number;
}

/**
 * Mints the credential coturn's `--use-auth-secret` accepts: `username = <unix expiry>:<clientId>` and
 * `credential = base64(HMAC-SHA1(secret, username))`. The TURN server checks the HMAC with the same secret and refuses
 * the username once its expiry has passed, so no long-lived secret reaches a client.
 */
export function mintTurnCredential(secret: string, clientId: string, ttlSeconds: number, nowMs: number = Date.now()): TurnCredential {
  const expiresAt = Math.floor(nowMs / 1000) + ttlSeconds;
  const username = `${expiresAt}:${clientId}`;
  return { username, credential: turnPassword(secret, username), expiresAt };
}

/** The password coturn derives for a TURN REST username. */
export function turnPassword(secret: string, username: string): string {
  return createHmac('sha1', secret).update(username).digest('base64');
}
