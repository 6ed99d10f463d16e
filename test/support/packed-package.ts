/**
 * The package as a user gets it, for the suites that install it into fresh projects (test/package/, test/docs/):
 * built from the current sources into a staging folder, packed with `npm pack`, and installed (`npm install
 * --prefer-offline`, registry only) into fresh copies of fixture projects. Everything happens in a temp dir: nothing in
 * the repository (dist/ included) is written.
 *
 * `packPackages` answers a map of package name to tarball, and `installFixture` adds every tarball of that map to a
 * fixture's dependencies: today one package, later as many as the repository ships, with the suites unchanged.
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Installs and typechecks on a loaded 2-core machine take minutes, not seconds. */
export const SETUP_TIMEOUT_MS = 8 * 60_000;
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

/** The files beside dist/ that go into the package: package.json's `files` names the rest (docs/ among them). */
const STAGED = ['package.json', 'README.md', 'LICENSE', 'docs'];

/** Builds lib/ afresh into a staging folder under `tmp`, packs it, and extracts the tarball beside it. */
export async function packPackages(tmp: string): Promise<PackedPackages> {
  const stage = join(tmp, 'stage');
  await mkdir(stage);
  for (const file of STAGED) await cp(join(ROOT, file), join(stage, file), { recursive: true });
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
  const [{ name, filename }] = JSON.parse(packed.stdout) as [{ name: string; filename: string }];
  const tarball = join(tmp, filename);
  const extracted = join(tmp, 'extracted');
  await mkdir(extracted);
  await run('tar', ['-xzf', tarball, '-C', extracted], tmp);
  return { [name]: { tarball, extracted: join(extracted, 'package') } };
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
  const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as { dependencies: Record<string, string> };
  for (const [name, { tarball }] of Object.entries(packages)) manifest.dependencies[name] = `file:${tarball}`;
  await writeFile(manifestPath, JSON.stringify(manifest, null, 2));
  const flags = ['--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'];
  if (options.ignoreScripts) flags.push('--ignore-scripts');
  await run('npm', ['install', ...flags], target);
  return target;
}
