/**
 * The package as a user gets it: built from the current sources into a staging folder, packed with `npm pack`, and
 * installed (`npm install --prefer-offline`, registry only) into fresh copies of the projects under
 * test/package/fixtures/: an ESM Nest 12 app, a CommonJS one made as `nest new --type cjs` makes it, and a client-only
 * project on socket.io-client 4.7.5. Each is typechecked with the README's snippets; the CommonJS app is also built and
 * run. Everything happens in a temp dir: nothing in the repository (dist/ included) is written.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const FIXTURES = join(ROOT, 'test/package/fixtures');
const FIXTURE_NAMES = ['esm-app', 'cjs-app', 'client-475'] as const;
type FixtureName = (typeof FIXTURE_NAMES)[number];

/** Installs and typechecks on a loaded 2-core machine take minutes, not seconds. */
const SETUP_TIMEOUT_MS = 8 * 60_000;
const STEP_TIMEOUT_MS = 4 * 60_000;

/** The environment of `npm test` minus its npm_* variables, so the child npm and node see a plain shell's. */
const CHILD_ENV = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)));
delete CHILD_ENV.NODE_OPTIONS;

interface Run {
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], cwd: string): Promise<Run> {
  return new Promise((resolvePromise, reject) => {
    execFile(command, args, { cwd, env: CHILD_ENV, timeout: STEP_TIMEOUT_MS, maxBuffer: 32 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) {
        reject(new Error(`${command} ${args.join(' ')} (in ${cwd}) failed: ${error.message}\n${stdout}\n${stderr}`));
      } else {
        resolvePromise({ stdout, stderr });
      }
    });
  });
}

const tsc = (project: string, tsconfig: string, ...extra: string[]) =>
  run(process.execPath, [join(project, 'node_modules/typescript/bin/tsc'), '-p', tsconfig, ...extra], project);

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

describe('the packed package in fresh projects', () => {
  let tmp: string;
  let extracted: string;
  const projects = {} as Record<FixtureName, string>;

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'p2p-packed-'));
    // Stage the package: package.json, README, LICENSE and a fresh build of lib/ (never the repository's dist/).
    const stage = join(tmp, 'stage');
    await mkdir(stage);
    for (const file of ['package.json', 'README.md', 'LICENSE']) await cp(join(ROOT, file), join(stage, file));
    const buildConfig = join(tmp, 'tsconfig.pack.json');
    await writeFile(
      buildConfig,
      JSON.stringify({
        extends: join(ROOT, 'tsconfig.build.json'),
        // Type roots are looked up from the config's folder: this one lives in the temp dir.
        compilerOptions: { outDir: join(stage, 'dist'), typeRoots: [join(ROOT, 'node_modules/@types')] },
        include: [join(ROOT, 'lib')],
      }),
    );
    await run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', buildConfig], ROOT);
    await run(process.execPath, [join(ROOT, 'scripts/build-browser.mjs'), join(stage, 'dist/browser')], ROOT);

    const packed = await run('npm', ['pack', '--json', '--pack-destination', tmp], stage);
    const [{ filename }] = JSON.parse(packed.stdout) as [{ filename: string }];
    const tarball = join(tmp, filename);
    extracted = join(tmp, 'extracted');
    await mkdir(extracted);
    await run('tar', ['-xzf', tarball, '-C', extracted], tmp);

    // Fresh copies of the fixtures, each depending on the tarball; installed side by side.
    await Promise.all(
      FIXTURE_NAMES.map(async (name) => {
        const project = join(tmp, name);
        await cp(join(FIXTURES, name), project, { recursive: true });
        const manifestPath = join(project, 'package.json');
        const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as { dependencies: Record<string, string> };
        manifest.dependencies['nest-p2p-gateway'] = `file:${tarball}`;
        await writeFile(manifestPath, JSON.stringify(manifest, null, 2));
        await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], project);
        projects[name] = project;
      }),
    );
  }, SETUP_TIMEOUT_MS);

  afterAll(async () => {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  describe('the tarball', () => {
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
