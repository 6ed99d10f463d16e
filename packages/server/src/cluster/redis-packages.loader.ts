import type * as IoRedis from 'ioredis';
import type * as RedisAdapter from '@socket.io/redis-adapter';

/** The optional peer dependencies the `redis` option needs, loaded only when it is used. */
export interface RedisPackages {
  ioredis: typeof IoRedis;
  adapter: typeof RedisAdapter;
}

const INSTALL_HINT = 'npm install ioredis @socket.io/redis-adapter';

/** Loads ioredis and @socket.io/redis-adapter, or says which one is missing and what to install. */
export async function loadRedisPackages(): Promise<RedisPackages> {
  const [ioredis, adapter] = await Promise.all([
    loadOptionalPackage('ioredis', () => import('ioredis')),
    loadOptionalPackage('@socket.io/redis-adapter', () => import('@socket.io/redis-adapter')),
  ]);
  return { ioredis, adapter };
}

/**
 * Runs `load` (a dynamic import of `name`); a package that is not installed becomes an error naming it and the
 * command that installs both, instead of a bare ERR_MODULE_NOT_FOUND.
 */
export async function loadOptionalPackage<T>(name: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    if (!isModuleNotFound(error)) throw error;
    throw new Error(
      `P2pModule: the \`redis\` option needs the optional peer dependencies ioredis and @socket.io/redis-adapter, ` +
        `and ${name} is not installed: ${INSTALL_HINT} (${(error as Error).message})`,
      { cause: error },
    );
  }
}

function isModuleNotFound(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
}
