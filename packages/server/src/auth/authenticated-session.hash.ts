import { createHash } from 'node:crypto';

/**
 * The session token hash recorded for a client admitted by `authenticate`: the same for every connection of one
 * identity, so a newcomer that authenticated as a clientId takes it over from its holder (the duplicate-id policy and
 * reconnection treat it as the same session). The `auth:` prefix keeps it apart from hashes of client-sent tokens,
 * which are bare hex digests: no token a client sends can hash to it.
 */
export function authenticatedSessionHash(clientId: string): string {
  return `auth:${createHash('sha256').update(clientId).digest('hex')}`;
}
