/**
 * The optional peer dependencies, each loaded only by the feature that needs it. A missing one fails that feature's
 * start with an error naming the feature, the package and the command that installs it, instead of Node's bare
 * ERR_MODULE_NOT_FOUND.
 */
const NEEDED_BY = {
  ioredis: { feature: 'P2pModule: the `redis` option', install: ['ioredis', '@socket.io/redis-adapter'] },
  '@socket.io/redis-adapter': { feature: 'P2pModule: the `redis` option', install: ['ioredis', '@socket.io/redis-adapter'] },
  'prom-client': { feature: 'P2pModule: the `metrics` option', install: ['prom-client'] },
  '@nestjs/terminus': { feature: 'P2pHealthIndicator (nest-p2p-gateway/health)', install: ['@nestjs/terminus'] },
} as const;

export type OptionalPackage = keyof typeof NEEDED_BY;

/** What to tell when `name` is missing. */
export function missingPackageMessage(name: OptionalPackage): string {
  const { feature, install } = NEEDED_BY[name];
  const needs = install.length > 1 ? `the optional peer dependencies ${install.join(' and ')}` : `the optional peer dependency ${name}`;
  return `${feature} needs ${needs}, and ${name} is not installed: npm install ${install.join(' ')}`;
}

/**
 * Imports the optional package `name`. `specifier` is what is actually imported, `name` unless given: a test passes
 * one that does not exist to see the message a missing `name` gives.
 */
export async function loadOptionalPackage<T>(name: OptionalPackage, specifier: string = name): Promise<T> {
  try {
    return (await import(specifier)) as T;
  } catch (error) {
    if (!isModuleNotFound(error)) throw error;
    throw new Error(`${missingPackageMessage(name)} (${(error as Error).message})`, { cause: error });
  }
}

function isModuleNotFound(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
}
