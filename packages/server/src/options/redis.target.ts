/**
 * Where a cluster node's Redis is, for logs and start-up errors: the URL with its password replaced by `***`, or the
 * host, port and db of a client given through `redis.client`. Never the password.
 */
export function describeRedisTarget(options: { url?: string | undefined; client?: unknown }): string {
  if (options.client !== undefined) return describeClient(options.client);
  return redactRedisUrl(options.url ?? DEFAULT_REDIS_URL);
}

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** Query parameters that carry a credential: ioredis reads the password from `?password=` as well as the user info. */
const SECRET_PARAM = /pass|secret|token|auth/i;

/** The values of credential query parameters in text that is not a URL (a unix socket path, something unparsable). */
const SECRET_PARAM_VALUE = /((?:^|[?&;\s])[^=&;#\s]*(?:pass|secret|token|auth)[^=&;#\s]*=)[^&;#\s]*/gi;

/**
 * `redis://user:secret@host:6379/0?password=secret` -> `redis://user:***@host:6379/0?password=***`: the password of
 * the user info and every credential query parameter hidden (ioredis takes the password from either). Read the way
 * ioredis reads it (`host:port?...` and `//host` as redis URLs, a leading `/` as a unix socket path); anything
 * unparsable loses its user info and the values of such parameters.
 */
export function redactRedisUrl(url: string): string {
  if (url.startsWith('/') && !url.startsWith('//')) return url.replace(SECRET_PARAM_VALUE, '$1***');
  const prefix = url.startsWith('//') ? 'redis:' : /^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? '' : 'redis://';
  try {
    const parsed = new URL(prefix + url);
    if (parsed.password !== '') parsed.password = '***';
    for (const name of new Set(parsed.searchParams.keys())) {
      if (SECRET_PARAM.test(name)) parsed.searchParams.set(name, '***');
    }
    // URLSearchParams writes '*' as is; the trailing '/' is the parser's, not the app's.
    return parsed.toString().slice(prefix.length).replace(/\/$/, '').replace(/\/\?/, '?');
  } catch {
    // Not a URL the WHATWG parser takes: drop whatever comes before an '@' (after the scheme, if any), then the values
    // of credential parameters.
    return url.replace(/^((?:[a-z][a-z0-9+.-]*:)?\/\/)?[^@/?#]*@/i, '$1***@').replace(SECRET_PARAM_VALUE, '$1***');
  }
}

function describeClient(client: unknown): string {
  const options = (client as { options?: { host?: unknown; port?: unknown; db?: unknown; path?: unknown } }).options;
  if (typeof options?.path === 'string') return `the given ioredis client (unix socket ${options.path})`;
  if (typeof options?.host !== 'string') return 'the given ioredis client';
  const db = typeof options.db === 'number' && options.db !== 0 ? `/${options.db}` : '';
  return `the given ioredis client (redis://${options.host}:${String(options.port ?? 6379)}${db})`;
}
