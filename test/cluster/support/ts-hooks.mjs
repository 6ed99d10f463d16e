/**
 * Node module hooks that run the project's TypeScript sources as they are (no build step): a cluster node process
 * started by the tests imports `.ts` files, transpiled one by one with the project's TypeScript (no type check; the
 * typecheck and Jest do that). Relative `.js` imports resolve to the `.ts` file next to them, as in the sources.
 * The workspace's package names resolve to their sources too. Transpiled files are cached under node_modules/.cache,
 * keyed by path, size and mtime, so later starts skip the work.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import process from 'node:process';
import { URL, fileURLToPath } from 'node:url';

const CACHE_DIR = fileURLToPath(new URL('../../../node_modules/.cache/p2p-cluster-ts/', import.meta.url));
const CACHE_VERSION = '1';

let compiler;
async function typescript() {
  if (!compiler) {
    const { default: ts } = await import('typescript');
    const compilerOptions = {
      module: ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2022,
      experimentalDecorators: true,
      emitDecoratorMetadata: true,
      useDefineForClassFields: false,
      esModuleInterop: true,
      inlineSourceMap: true,
      inlineSources: true,
    };
    compiler = (source, fileName) => ts.transpileModule(source, { compilerOptions, fileName }).outputText;
  }
  return compiler;
}

/** The workspace's packages run from their sources, as in Jest (jest.config.js) and the typecheck (tsconfig.json). */
const WORKSPACE_SOURCES = {
  'nest-p2p-gateway-protocol': '../../../packages/protocol/src/index.ts',
  'nest-p2p-gateway-client': '../../../packages/client/src/index.ts',
  'nest-p2p-gateway': '../../../packages/server/src/index.ts',
};

export async function resolve(specifier, context, nextResolve) {
  const { parentURL } = context;
  if (Object.hasOwn(WORKSPACE_SOURCES, specifier)) {
    return { url: new URL(WORKSPACE_SOURCES[specifier], import.meta.url).href, shortCircuit: true };
  }
  if (parentURL?.startsWith('file:') && !parentURL.includes('/node_modules/') && /^\.{1,2}\/.*\.js$/.test(specifier)) {
    const candidate = new URL(specifier.replace(/\.js$/, '.ts'), parentURL);
    if (!existsSync(new URL(specifier, parentURL)) && existsSync(candidate)) {
      return { url: candidate.href, shortCircuit: true };
    }
  }
  return nextResolve(specifier, context);
}

export async function load(url, context, nextLoad) {
  if (!url.startsWith('file:') || !url.endsWith('.ts')) return nextLoad(url, context);
  const fileName = fileURLToPath(url);
  const { size, mtimeMs } = statSync(fileName);
  const key = createHash('sha1').update(`${CACHE_VERSION}\0${fileName}\0${size}\0${mtimeMs}`).digest('hex');
  const cached = `${CACHE_DIR}${key}.js`;
  if (existsSync(cached)) return { format: 'module', source: readFileSync(cached, 'utf8'), shortCircuit: true };
  const source = (await typescript())(readFileSync(fileName, 'utf8'), fileName);
  try {
    mkdirSync(CACHE_DIR, { recursive: true });
    writeFileSync(`${cached}.${process.pid}`, source);
    // A rename is atomic: a concurrent reader sees the whole file or none.
    renameSync(`${cached}.${process.pid}`, cached);
  } catch {
    // No cache then; the source is still good.
  }
  return { format: 'module', source, shortCircuit: true };
}
