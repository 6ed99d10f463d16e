/**
 * The workspace's packages as a user gets them: each built from the current sources into a staging folder (never the
 * repository's dist/), packed with `npm pack`, and its tarball returned. Built in dependency order (protocol, client,
 * server), each against the declarations just staged for the ones before it, as the registry would serve them.
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Installs and typechecks on a loaded 2-core machine take minutes, not seconds. */
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

/** The workspace's packages, in build order: folder under packages/ and npm name. */
export const PACKAGES = [
  { dir: 'protocol', name: 'nest-p2p-gateway-protocol' },
  { dir: 'client', name: 'nest-p2p-gateway-client' },
  { dir: 'server', name: 'nest-p2p-gateway' },
] as const;

export type PackageDir = (typeof PACKAGES)[number]['dir'];

/** Each package's tarball (absolute path), packed from a fresh build in `tmp`. */
export async function packPackages(tmp: string): Promise<Record<PackageDir, string>> {
  const tarballs = {} as Record<PackageDir, string>;
  const staged: Record<string, string> = {};
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
          paths: Object.fromEntries(Object.entries(staged).map(([pkg, types]) => [pkg, [types]])),
        },
        include: [join(source, 'src')],
      }),
    );
    await run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', buildConfig], ROOT);
    staged[name] = join(stage, 'dist/index.d.ts');
    // As the server's build does: the control center's page files, which tsc does not emit.
    if (dir === 'server') await run(process.execPath, [join(ROOT, 'scripts/copy-control-center-page.mjs'), join(stage, 'dist')], ROOT);
    if (dir !== 'protocol') {
      await run(process.execPath, [join(ROOT, 'scripts/build-browser.mjs'), join(stage, 'dist/browser')], ROOT);
    }
    // --ignore-scripts: the staging above stands in for the server's prepack, which expects the repository around it.
    const packed = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', tmp], stage);
    const [{ filename }] = JSON.parse(packed.stdout) as [{ filename: string }];
    tarballs[dir] = join(tmp, filename);
  }
  return tarballs;
}

/** Adds `dependencies` (name to tarball) to the package.json of `project`, then installs it (registry only). */
export async function installTarballs(project: string, dependencies: Record<string, string>): Promise<void> {
  const manifestPath = join(project, 'package.json');
  const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as {
    dependencies: Record<string, string>;
    overrides?: Record<string, string>;
  };
  for (const [name, tarball] of Object.entries(dependencies)) manifest.dependencies[name] = `file:${tarball}`;
  // The server's own dependency on the client and protocol names a version the registry does not have: the tarballs
  // stand in for it, wherever in the tree it is asked for.
  manifest.overrides = Object.fromEntries(Object.entries(dependencies).map(([name]) => [name, `$${name}`]));
  await writeFile(manifestPath, JSON.stringify(manifest, null, 2));
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], project);
}
