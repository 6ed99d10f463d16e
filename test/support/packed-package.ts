/**
 * The packages as a user gets them, for the suites that install them into fresh projects (test/package/, test/docs/):
 * built from the current sources into a staging folder, packed with `npm pack`, and installed (`npm install
 * --prefer-offline`, registry only) into fresh copies of fixture projects. Everything happens in a temp dir: nothing in
 * the repository (dist/ included) is written.
 *
 * `packPackages` answers a map of package name to tarball (the workspace's three packages), and `installFixture` adds
 * every tarball of that map to a fixture's dependencies (`onlyPackages` picks some, as a client-only project does).
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Installs and typechecks on a loaded 2-core machine take minutes, not seconds. */
export const SETUP_TIMEOUT_MS = 10 * 60_000;
export const STEP_TIMEOUT_MS = 4 * 60_000;

/** The environment of `npm test` minus its npm_* variables, so the child npm and node see a plain shell's. */
const CHILD_ENV = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)));
delete CHILD_ENV.NODE_OPTIONS;

export interface Run {
  stdout: string;
  stderr: string;
}

export function run(command: string, args: string[], cwd: string): Promise<Run> {
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

/** Runs the project's own TypeScript (the version its package.json asks for) on one of its configs. */
export const tsc = (project: string, tsconfig: string, ...extra: string[]): Promise<Run> =>
  run(process.execPath, [join(project, 'node_modules/typescript/bin/tsc'), '-p', tsconfig, ...extra], project);

/** Like `tsc`, but answers the diagnostics (`--pretty false`) instead of failing when there are some. */
export function tscDiagnostics(project: string, tsconfig: string): Promise<string> {
  const args = [join(project, 'node_modules/typescript/bin/tsc'), '-p', tsconfig, '--noEmit', '--pretty', 'false'];
  return new Promise((resolvePromise, reject) => {
    execFile(
      process.execPath,
      args,
      { cwd: project, env: CHILD_ENV, timeout: STEP_TIMEOUT_MS, maxBuffer: 32 * 1024 * 1024 },
      (error, stdout, stderr) => {
        // tsc exits 2 when it reports errors (stdout holds them); anything else (killed, no tsc) is a failure of the run.
        if (error && error.code !== 2)
          reject(new Error(`tsc -p ${tsconfig} (in ${project}) failed: ${error.message}\n${stdout}\n${stderr}`));
        else resolvePromise(stdout);
      },
    );
  });
}

export async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

/** The packed packages: each name (as in its package.json) with its tarball and where it was extracted. */
export type PackedPackages = Record<string, { tarball: string; extracted: string }>;

/** The workspace's packages, in build order: folder under packages/ and npm name. */
export const PACKAGES = [
  { dir: 'protocol', name: 'nest-p2p-gateway-protocol' },
  { dir: 'client', name: 'nest-p2p-gateway-client' },
  { dir: 'server', name: 'nest-p2p-gateway' },
] as const;

/**
 * Builds each package afresh into a staging folder under `tmp` (never the repository's dist/), packs it, and extracts
 * the tarball beside it. Built in dependency order, each against the declarations just staged for the ones before it,
 * as the registry would serve them.
 */
export async function packPackages(tmp: string): Promise<PackedPackages> {
  const packed: PackedPackages = {};
  const stagedTypes: Record<string, string> = {};
  for (const { dir, name } of PACKAGES) {
    const source = join(ROOT, 'packages', dir);
    const stage = join(tmp, 'stage', dir);
    await mkdir(stage, { recursive: true });
    for (const file of ['package.json', 'LICENSE']) await cp(join(source, file), join(stage, file));
    if (dir === 'server') {
      // What the server's prepack does in the repository: the README and the docs it links to ship with it.
      await cp(join(ROOT, 'README.md'), join(stage, 'README.md'));
      await cp(join(ROOT, 'docs'), join(stage, 'docs'), { recursive: true });
    } else {
      await cp(join(source, 'README.md'), join(stage, 'README.md'));
    }
    const buildConfig = join(tmp, `tsconfig.${dir}.json`);
    await writeFile(
      buildConfig,
      JSON.stringify({
        extends: join(source, 'tsconfig.build.json'),
        compilerOptions: {
          rootDir: join(source, 'src'),
          outDir: join(stage, 'dist'),
          // Type roots are looked up from the config's folder: this one lives in the temp dir.
          typeRoots: [join(ROOT, 'node_modules/@types')],
          // The packages staged before this one, by their declarations (the repository's dist/ may be stale or absent).
          paths: Object.fromEntries(Object.entries(stagedTypes).map(([pkg, types]) => [pkg, [types]])),
        },
        include: [join(source, 'src')],
      }),
    );
    await run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', buildConfig], ROOT);
    stagedTypes[name] = join(stage, 'dist/index.d.ts');
    // As the server's build does: the control center's page files, which tsc does not emit.
    if (dir === 'server') await run(process.execPath, [join(ROOT, 'scripts/copy-control-center-page.mjs'), join(stage, 'dist')], ROOT);
    // As the packages' builds do: the client's bundle alone (no map), the server's two with their maps.
    if (dir !== 'protocol') {
      const flags = dir === 'client' ? ['--client-only'] : [];
      await run(process.execPath, [join(ROOT, 'scripts/build-browser.mjs'), join(stage, 'dist/browser'), ...flags], ROOT);
    }
    // --ignore-scripts: the staging above stands in for the server's prepack, which expects the repository around it.
    const result = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', tmp], stage);
    const [{ filename }] = JSON.parse(result.stdout) as [{ filename: string }];
    const tarball = join(tmp, filename);
    const extracted = join(tmp, 'extracted', dir);
    await mkdir(extracted, { recursive: true });
    await run('tar', ['-xzf', tarball, '-C', extracted], tmp);
    packed[name] = { tarball, extracted: join(extracted, 'package') };
  }
  return packed;
}

/** The packed packages named, out of `packages`. */
export function onlyPackages(packages: PackedPackages, ...names: string[]): PackedPackages {
  return Object.fromEntries(names.map((name) => [name, packages[name]!]));
}

export interface InstallOptions {
  /** Skip install scripts: for projects only typechecked (node-datachannel's would fetch a native build). */
  ignoreScripts?: boolean | undefined;
}

/**
 * Copies the fixture project `fixture` to `target`, makes it depend on every packed package (`file:` the tarball), and
 * installs it. Answers `target`.
 */
export async function installFixture(
  fixture: string,
  target: string,
  packages: PackedPackages,
  options: InstallOptions = {},
): Promise<string> {
  await cp(fixture, target, { recursive: true });
  const manifestPath = join(target, 'package.json');
  const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as {
    dependencies: Record<string, string>;
    overrides?: Record<string, string>;
  };
  for (const [name, { tarball }] of Object.entries(packages)) manifest.dependencies[name] = `file:${tarball}`;
  // The server's own dependency on the client and protocol names a version the registry does not have: the tarballs
  // stand in for it, wherever in the tree it is asked for.
  manifest.overrides = Object.fromEntries(Object.keys(packages).map((name) => [name, `$${name}`]));
  await writeFile(manifestPath, JSON.stringify(manifest, null, 2));
  const flags = ['--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'];
  if (options.ignoreScripts) flags.push('--ignore-scripts');
  await run('npm', ['install', ...flags], target);
  return target;
}
