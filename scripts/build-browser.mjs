// Browser bundles of the client, for pages without a bundler: `<script type="module">` imports them by URL.
//   p2p-client.js       P2pClient and the protocol (packages/client); needs no other module, you hand it a socket
//   socket.io-client.js socket.io-client's `io`, `Manager` and `Socket`, so a page needs no CDN
// Run by the client's and the server's package builds into their dist/browser/ (`node scripts/build-browser.mjs DIR
// [--report] [--client-only]`, DIR relative to the current folder); the end-to-end tests call buildBrowserBundles()
// into a folder of their own. --report prints the client bundle's size, gzipped: the figure docs/control-center.md
// keeps. --client-only (the client package) writes p2p-client.js alone, without a source map: a client-only install
// stays small (its ES modules carry maps), and socket.io-client is the app's own. The server package ships both
// bundles with their maps, for the pages a gateway serves.
import { readFile, rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { argv, cwd, stdout } from 'node:process';
import { URL, fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));

const common = {
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2020',
  minify: true,
  sourcemap: true,
  legalComments: 'eof',
  logLevel: 'warning',
  absWorkingDir: root,
};

/**
 * Writes p2p-client.js and socket.io-client.js (with source maps) into `outdir` (absolute); with `clientOnly`,
 * p2p-client.js alone and no map.
 */
export async function buildBrowserBundles(outdir = `${root}packages/server/dist/browser`, { clientOnly = false } = {}) {
  // The folder holds these bundles only: what an earlier build left (a map, the other bundle) goes.
  await rm(outdir, { recursive: true, force: true });
  await Promise.all([
    build({
      ...common,
      sourcemap: !clientOnly,
      entryPoints: ['packages/client/src/index.ts'],
      outfile: `${outdir}/p2p-client.js`,
      tsconfig: 'tsconfig.json',
      // The client imports nothing of socket.io-client; should that change, the page passes its own copy in.
      external: ['socket.io-client'],
    }),
    clientOnly ||
      build({
        ...common,
        stdin: {
          contents: "export { io, io as default, Manager, Socket } from 'socket.io-client';",
          resolveDir: root,
          sourcefile: 'socket.io-client-entry.js',
        },
        outfile: `${outdir}/socket.io-client.js`,
      }),
  ]);
  return outdir;
}

/** The gzipped size in bytes of the client bundle in `outdir`. */
export async function gzippedClientBundleBytes(outdir) {
  return gzipSync(await readFile(`${outdir}/p2p-client.js`), { level: 9 }).length;
}

if (argv[1] === fileURLToPath(import.meta.url)) {
  const outdir = await buildBrowserBundles(argv[2] ? resolve(cwd(), argv[2]) : undefined, {
    clientOnly: argv.includes('--client-only'),
  });
  if (argv.includes('--report')) {
    const bytes = await gzippedClientBundleBytes(outdir);
    stdout.write(`browser bundle p2p-client.js: ${(bytes / 1024).toFixed(1)} KB gzipped\n`);
  }
}
