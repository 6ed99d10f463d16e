/**
 * The package as a user gets it: built from the current sources into a staging folder, packed with `npm pack`, and
 * installed (`npm install --prefer-offline`, registry only) into fresh copies of the projects under
 * test/package/fixtures/: an ESM Nest 12 app, a CommonJS one made as `nest new --type cjs` makes it, and a client-only
 * project on socket.io-client 4.7.5. Each is typechecked with the README's snippets; the CommonJS app is also built and
 * run. Everything happens in a temp dir: nothing in the repository (dist/ included) is written. Packing and installing
 * are test/support/packed-package.ts, shared with the snippet test (test/docs/snippets.spec.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { ROOT, SETUP_TIMEOUT_MS, STEP_TIMEOUT_MS, filesUnder, installFixture, packPackages, run, tsc } from '../support/packed-package.js';

const FIXTURES = join(ROOT, 'test/package/fixtures');
const FIXTURE_NAMES = ['esm-app', 'cjs-app', 'client-475'] as const;
type FixtureName = (typeof FIXTURE_NAMES)[number];

describe('the packed package in fresh projects', () => {
  let tmp: string;
  let extracted: string;
  const projects = {} as Record<FixtureName, string>;

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'p2p-packed-'));
    const packages = await packPackages(tmp);
    extracted = dirname(packages['nest-p2p-gateway']!.extracted);
    // Fresh copies of the fixtures, each depending on the tarball; installed side by side.
    await Promise.all(
      FIXTURE_NAMES.map(async (name) => {
        projects[name] = await installFixture(join(FIXTURES, name), join(tmp, name), packages);
      }),
    );
  }, SETUP_TIMEOUT_MS);

  afterAll(async () => {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  describe('the tarball', () => {
    it('ships docs/: every file the README and the docs pages link to (so they resolve on the registry too)', async () => {
      const pages = [
        'README.md',
        ...(await readdir(join(extracted, 'package/docs'))).filter((file) => file.endsWith('.md')).map((file) => `docs/${file}`),
      ];
      expect(pages.length).toBeGreaterThan(10);
      const missing: string[] = [];
      for (const page of pages) {
        const text = await readFile(join(extracted, 'package', page), 'utf8');
        for (const [, target] of text.matchAll(/\]\(([^)#\s]+)[^)]*\)/g)) {
          if (/^[a-z]+:/i.test(target!)) continue; // absolute: https://, mailto:
          // The benchmarks page cites the benchmark sources and results: repository files, not part of the package.
          if (page.startsWith('docs/') && target!.startsWith('../bench/')) continue;
          if (!existsSync(resolve(dirname(join(extracted, 'package', page)), target!))) missing.push(`${page} -> ${target}`);
        }
      }
      expect(missing).toEqual([]);
    });

    it('holds the MIT LICENSE that package.json names', async () => {
      const manifest = JSON.parse(await readFile(join(extracted, 'package/package.json'), 'utf8')) as { license: string };
      expect(manifest.license).toBe('MIT');
      expect(await readFile(join(extracted, 'package/LICENSE'), 'utf8')).toMatch(/^MIT License\n/);
    });

    it('has no dangling source map: every map referenced is shipped, and every map carries its sources', async () => {
      const files = await filesUnder(join(extracted, 'package'));
      const scripts = files.filter((file) => file.endsWith('.js'));
      expect(scripts.length).toBeGreaterThan(20);
      const dangling: string[] = [];
      for (const script of scripts) {
        const reference = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(await readFile(script, 'utf8'))?.[1];
        if (reference && !existsSync(resolve(dirname(script), reference))) dangling.push(`${relative(extracted, script)} -> ${reference}`);
      }
      for (const map of files.filter((file) => file.endsWith('.map'))) {
        const { sources, sourcesContent = [] } = JSON.parse(await readFile(map, 'utf8')) as {
          sources: string[];
          sourcesContent?: Array<string | null>;
        };
        sources.forEach((source, i) => {
          if (typeof sourcesContent[i] !== 'string' && !existsSync(resolve(dirname(map), source)))
            dangling.push(`${relative(extracted, map)}: ${source}`);
        });
      }
      expect(dangling).toEqual([]);
    });

    it("the server entry's type declarations never import ioredis", async () => {
      const declarations = (await filesUnder(join(extracted, 'package/dist/lib'))).filter((file) => file.endsWith('.d.ts'));
      const reached = new Set<string>();
      const queue = [join(extracted, 'package/dist/lib/server/index.d.ts')];
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
  });

  describe('ESM Nest 12 app (no ioredis installed)', () => {
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
        const { stdout } = await run(process.execPath, ['check-runtime.mjs'], projects['esm-app']);
        const { lines, redisError } = JSON.parse(stdout.trim().split('\n').at(-1)!) as { lines: string[]; redisError?: string };
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
  });
});
