// Browser bundles of the client, for pages without a bundler: `<script type="module">` imports them by URL.
//   p2p-client.js       P2pClient and the protocol (lib/client); needs no other module, you hand it a socket
//   socket.io-client.js socket.io-client's `io`, `Manager` and `Socket`, so a page needs no CDN
// Run by `npm run build` into dist/browser/; the end-to-end tests call buildBrowserBundles() into a folder of their own.
import { argv } from 'node:process';
import { URL, fileURLToPath } from 'node:url';
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

/** Writes p2p-client.js and socket.io-client.js (with source maps) into `outdir`. */
export async function buildBrowserBundles(outdir = `${root}dist/browser`) {
  await Promise.all([
    build({
      ...common,
      entryPoints: ['lib/client/index.ts'],
      outfile: `${outdir}/p2p-client.js`,
      tsconfig: 'tsconfig.json',
      // lib/client imports only socket.io-client's types; should that change, the page passes its own copy in.
      external: ['socket.io-client'],
    }),
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

if (argv[1] === fileURLToPath(import.meta.url)) {
  await buildBrowserBundles(argv[2]);
}
