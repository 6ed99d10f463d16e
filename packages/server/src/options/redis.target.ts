/**
 * Where a cluster node's Redis is, for logs and start-up errors: the URL with its password replaced by `***`, or the
 * host, port and db of a client given through `redis.client`. Never the password.
 */
export function describeRedisTarget(options: { url?: string | undefined; client?: unknown }): string {
  if (options.client !== undefined) return describeClient(options.client);
  return redactRedisUrl(options.url ?? DEFAULT_REDIS_URL);
}

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** `redis://user:secret@host:6379/0` -> `redis://user:***@host:6379/0`; anything unparsable loses its credentials. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    // Not a URL the WHATWG parser takes: drop whatever comes before an '@' (after the scheme, if any).
    return url.replace(/^([a-z]+:\/\/)?[^@/]*@/i, '$1***@');
  }
}

function describeClient(client: unknown): string {
  const options = (client as { options?: { host?: unknown; port?: unknown; db?: unknown; path?: unknown } }).options;
  if (typeof options?.path === 'string') return `the given ioredis client (unix socket ${options.path})`;
  if (typeof options?.host !== 'string') return 'the given ioredis client';
  const db = typeof options.db === 'number' && options.db !== 0 ? `/${options.db}` : '';
  return `the given ioredis client (redis://${options.host}:${String(options.port ?? 6379)}${db})`;
}
