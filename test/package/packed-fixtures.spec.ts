/**
 * The packages as a user gets them: each built from the current sources into a staging folder, packed with `npm pack`,
 * and installed (`npm install --prefer-offline`, registry only) into fresh copies of the projects under
 * test/package/fixtures/: an ESM Nest 12 app and a CommonJS one made as `nest new --type cjs` makes it (both with the
 * server, `nest-p2p-gateway`), and a client-only project on socket.io-client 4.7.5 with the client package alone. Each
 * is typechecked with the README's snippets; the CommonJS app is also built and run. Everything happens in a temp dir:
 * nothing in the repository (dist/ included) is written.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import {
  PACKAGES,
  ROOT,
  SETUP_TIMEOUT_MS,
  STEP_TIMEOUT_MS,
  filesUnder,
  installFixture,
  onlyPackages,
  packPackages,
  run,
  tsc,
} from '../support/packed-package.js';

type PackageDir = (typeof PACKAGES)[number]['dir'];

const FIXTURES = join(ROOT, 'test/package/fixtures');
const FIXTURE_NAMES = ['esm-app', 'cjs-app', 'client-475'] as const;
type FixtureName = (typeof FIXTURE_NAMES)[number];

/** What a client-only install may add beyond the app's own socket.io-client (issue: at most 1 MB). */
const CLIENT_ONLY_BUDGET_BYTES = 1024 * 1024;

async function bytesUnder(dir: string): Promise<number> {
  let total = 0;
  for (const file of await filesUnder(dir)) total += (await stat(file)).size;
  return total;
}

/** Every package folder installed under `nodeModules`, nested ones included, by package name. */
async function installedPackages(nodeModules: string): Promise<Array<{ name: string; dir: string }>> {
  const found: Array<{ name: string; dir: string }> = [];
  for (const file of await filesUnder(nodeModules)) {
    if (!file.endsWith('/package.json')) continue;
    const dir = dirname(file);
    const rel = relative(nodeModules, dir).split('/');
    // A package's own folder is node_modules/<name> or node_modules/@scope/<name>, nested or not.
    const last = rel.lastIndexOf('node_modules');
    const tail = rel.slice(last + 1);
    const isPackageRoot = tail.length === 1 ? !tail[0]!.startsWith('@') : tail.length === 2 && tail[0]!.startsWith('@');
    if (!isPackageRoot) continue;
    found.push({ name: tail.join('/'), dir });
  }
  return found;
}

describe('the packed package in fresh projects', () => {
  let tmp: string;
  const extracted = {} as Record<PackageDir, string>;
  const projects = {} as Record<FixtureName, string>;

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'p2p-packed-'));
    const packages = await packPackages(tmp);
    // The extracted tarballs' roots (their package/ folders' parents), by folder under packages/.
    for (const { dir, name } of PACKAGES) extracted[dir] = dirname(packages[name]!.extracted);
    const clientOnly = onlyPackages(packages, 'nest-p2p-gateway-client', 'nest-p2p-gateway-protocol');
    // Fresh copies of the fixtures, installed side by side: the apps with the server, client-475 with the client alone.
    await Promise.all(
      FIXTURE_NAMES.map(async (name) => {
        const chosen = name === 'client-475' ? clientOnly : packages;
        projects[name] = await installFixture(join(FIXTURES, name), join(tmp, name), chosen);
      }),
    );
  }, SETUP_TIMEOUT_MS);

  afterAll(async () => {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  describe('the tarballs', () => {
    it('each holds the MIT LICENSE that its package.json names, and a README', async () => {
      for (const dir of Object.keys(extracted) as PackageDir[]) {
        const manifest = JSON.parse(await readFile(join(extracted[dir], 'package/package.json'), 'utf8')) as { license: string };
        expect(manifest.license).toBe('MIT');
        expect(await readFile(join(extracted[dir], 'package/LICENSE'), 'utf8')).toMatch(/^MIT License\n/);
        expect(existsSync(join(extracted[dir], 'package/README.md'))).toBe(true);
      }
    });

    it('the server ships docs/: every file the README and the docs pages link to (so they resolve on the registry too)', async () => {
      const root = join(extracted.server, 'package');
      const pages = [
        'README.md',
        ...(await readdir(join(root, 'docs'))).filter((file) => file.endsWith('.md')).map((file) => `docs/${file}`),
      ];
      expect(pages.length).toBeGreaterThan(10);
      const missing: string[] = [];
      for (const page of pages) {
        const text = await readFile(join(root, page), 'utf8');
        for (const [, target] of text.matchAll(/\]\(([^)#\s]+)[^)]*\)/g)) {
          if (/^[a-z]+:/i.test(target!)) continue; // absolute: https://, mailto:
          // The benchmarks page cites the benchmark sources and results: repository files, not part of the package.
          if (page.startsWith('docs/') && target!.startsWith('../bench/')) continue;
          if (!existsSync(resolve(dirname(join(root, page)), target!))) missing.push(`${page} -> ${target}`);
        }
      }
      expect(missing).toEqual([]);
    });

    it("the server's tarball holds the control center's page files, beside the module that reads them", async () => {
      const dir = join(extracted.server, 'package/dist/control-center');
      expect(existsSync(join(dir, 'control-center.page.js'))).toBe(true);
      const files = await readdir(join(dir, 'page'));
      expect(files.sort()).toEqual([
        'control-center.charts.js',
        'control-center.page.css',
        'control-center.page.html',
        'control-center.page.js',
      ]);
    });

    it('has no dangling source map: every map referenced is shipped, and every map carries its sources', async () => {
      const dangling: string[] = [];
      let scriptCount = 0;
      for (const dir of Object.keys(extracted) as PackageDir[]) {
        const root = join(extracted[dir], 'package');
        const files = await filesUnder(root);
        const scripts = files.filter((file) => file.endsWith('.js'));
        scriptCount += scripts.length;
        for (const script of scripts) {
          const reference = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(await readFile(script, 'utf8'))?.[1];
          if (reference && !existsSync(resolve(dirname(script), reference))) dangling.push(`${relative(root, script)} -> ${reference}`);
        }
        for (const map of files.filter((file) => file.endsWith('.map'))) {
          const { sources, sourcesContent = [] } = JSON.parse(await readFile(map, 'utf8')) as {
            sources: string[];
            sourcesContent?: Array<string | null>;
          };
          sources.forEach((source, i) => {
            if (typeof sourcesContent[i] !== 'string' && !existsSync(resolve(dirname(map), source)))
              dangling.push(`${relative(root, map)}: ${source}`);
          });
        }
      }
      expect(scriptCount).toBeGreaterThan(20);
      expect(dangling).toEqual([]);
    });

    it("the server entry's type declarations never import ioredis", async () => {
      const dist = join(extracted.server, 'package/dist');
      const declarations = (await filesUnder(dist)).filter((file) => file.endsWith('.d.ts'));
      const reached = new Set<string>();
      const queue = [join(dist, 'index.d.ts')];
      const bare: string[] = [];
      while (queue.length > 0) {
        const file = queue.pop()!;
        if (reached.has(file)) continue;
        reached.add(file);
        for (const [, specifier] of (await readFile(file, 'utf8')).matchAll(/(?:from|import\()\s*'([^']+)'/g)) {
          if (specifier!.startsWith('.')) queue.push(resolve(dirname(file), specifier!.replace(/\.js$/, '.d.ts')));
          else bare.push(specifier!);
        }
      }
      expect(declarations.length).toBeGreaterThan(reached.size);
      expect(bare.filter((specifier) => /redis/.test(specifier))).toEqual([]);
    });

    it('the protocol has no dependencies, and the client depends on the protocol alone', async () => {
      const manifest = async (dir: PackageDir) =>
        JSON.parse(await readFile(join(extracted[dir], 'package/package.json'), 'utf8')) as {
          dependencies?: Record<string, string>;
          peerDependencies?: Record<string, string>;
        };
      const protocol = await manifest('protocol');
      const client = await manifest('client');
      expect(protocol.dependencies ?? {}).toEqual({});
      expect(protocol.peerDependencies ?? {}).toEqual({});
      expect(Object.keys(client.dependencies ?? {})).toEqual(['nest-p2p-gateway-protocol']);
      expect(Object.keys(client.peerDependencies ?? {})).toEqual(['socket.io-client']);
    });
  });

  describe('ESM Nest 12 app (no ioredis installed)', () => {
    interface Runtime {
      lines: string[];
      redisError?: string;
      page: { status: number; csp: string | null; html: string };
    }
    let runtime: Promise<Runtime> | undefined;
    /** check-runtime.mjs's report, run once for the tests that read it. */
    const checkRuntime = (): Promise<Runtime> =>
      (runtime ??= run(process.execPath, ['check-runtime.mjs'], projects['esm-app']).then(
        ({ stdout }) => JSON.parse(stdout.trim().split('\n').at(-1)!) as Runtime,
      ));

    it(
      'typechecks the snippets under strict',
      async () => {
        await tsc(projects['esm-app'], 'tsconfig.json', '--noEmit');
      },
      STEP_TIMEOUT_MS,
    );

    it(
      'typechecks them with exactOptionalPropertyTypes and skipLibCheck false',
      async () => {
        await tsc(projects['esm-app'], 'tsconfig.strictest.json', '--noEmit');
      },
      STEP_TIMEOUT_MS,
    );

    it(
      'logs one start-up line and no control-center route; `redis` without ioredis says what to install',
      async () => {
        const { lines, redisError } = await checkRuntime();
        expect(lines.filter((line) => line.startsWith('P2pModule:'))).toEqual([
          "P2pModule: P2P gateway on namespace '/' on the app's HTTP server: in memory (one process), node fixture",
        ]);
        expect(lines.filter((line) => /p2p-admin|ControlCenter/.test(line))).toEqual([]);
        expect(redisError).toMatch(
          /^P2pModule: the `redis` option needs the optional peer dependencies ioredis and @socket\.io\/redis-adapter, and (ioredis|@socket\.io\/redis-adapter) is not installed: npm install ioredis @socket\.io\/redis-adapter/,
        );
      },
      STEP_TIMEOUT_MS,
    );

    it(
      "serves the control center's page from the installed files: styles and scripts inlined, each allowed by its hash",
      async () => {
        const { page } = await checkRuntime();
        expect(page.status).toBe(200);
        expect(page.html).toContain('<h1>P2P control center</h1>');
        expect(page.html).not.toMatch(/<script src=|<link rel="stylesheet"/);
        const hashes = (tag: string) =>
          [...page.html.matchAll(new RegExp(`<${tag}>([^]*?)</${tag}>`, 'g'))].map(
            ([, text]) => `'sha256-${createHash('sha256').update(text!, 'utf8').digest('base64')}'`,
          );
        const scripts = hashes('script');
        // The charts script, then the page's.
        expect(scripts).toHaveLength(2);
        expect(hashes('style')).toHaveLength(1);
        expect(page.csp).toContain(`script-src ${scripts.join(' ')};`);
        expect(page.csp).toContain(`style-src ${hashes('style').join(' ')};`);
        expect(page.csp).toMatch(/^default-src 'none'; /);
      },
      STEP_TIMEOUT_MS,
    );
  });

  describe('CommonJS Nest 12 app (nest new --type cjs)', () => {
    it(
      'typechecks the snippets, ioredis client included, then builds, runs, pairs and relays',
      async () => {
        const project = projects['cjs-app'];
        await tsc(project, 'tsconfig.json');
        const { stdout } = await run(process.execPath, ['dist/src/main.js'], project);
        expect(stdout).toContain('OK B read "ready?" {"clients":2,"pairings":1,"pendingRequests":0}');
      },
      STEP_TIMEOUT_MS,
    );
  });

  describe('client-only project on socket.io-client 4.7.5', () => {
    it(
      'passes its own socket to P2pClient without a cast',
      async () => {
        const project = projects['client-475'];
        const installed = JSON.parse(await readFile(join(project, 'node_modules/socket.io-client/package.json'), 'utf8')) as {
          version: string;
        };
        expect(installed.version).toBe('4.7.5');
        await tsc(project, 'tsconfig.json', '--noEmit');
      },
      STEP_TIMEOUT_MS,
    );

    it('installs nothing of Nest or the server, no second socket.io-client, and at most 1 MB beyond its own', async () => {
      const nodeModules = join(projects['client-475'], 'node_modules');
      const packages = await installedPackages(nodeModules);
      const names = packages.map(({ name }) => name);
      expect(names.filter((name) => name.startsWith('@nestjs/') || name === 'socket.io' || name === 'engine.io')).toEqual([]);
      expect(names.filter((name) => name === 'nest-p2p-gateway')).toEqual([]);
      expect(names.filter((name) => name === 'socket.io-client')).toHaveLength(1);
      // What the client package adds is itself and the protocol: the only packages no other dependency brought.
      const added = packages.filter(({ name }) => name.startsWith('nest-p2p-gateway-'));
      expect(added.map(({ name }) => name).sort()).toEqual(['nest-p2p-gateway-client', 'nest-p2p-gateway-protocol']);
      let bytes = 0;
      for (const { dir } of added) bytes += await bytesUnder(dir);
      // The figure docs/design-notes.md quotes.
      process.stdout.write(`client-only install adds ${(bytes / 1024).toFixed(0)} KB (budget ${CLIENT_ONLY_BUDGET_BYTES / 1024} KB)\n`);
      expect(bytes).toBeLessThanOrEqual(CLIENT_ONLY_BUDGET_BYTES);
    });
  });
});
