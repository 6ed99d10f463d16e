// Copies the control center's page (packages/server/src/control-center/page/: its HTML, CSS and scripts, which tsc
// does not emit) to `<out>/control-center/page/`, beside the compiled control-center.page.js that reads them.
// `<out>` is the folder the server's src/ compiles to: the package's dist/, the workspace build's
// dist/packages/server/src/, or the packed-package test's staging folder.
import { cp, readdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { argv, exit, stderr } from 'node:process';
import { URL, fileURLToPath } from 'node:url';

const out = argv[2];
if (!out) {
  stderr.write('usage: node scripts/copy-control-center-page.mjs <folder the server package src/ compiles to>\n');
  exit(2);
}
const from = fileURLToPath(new URL('../packages/server/src/control-center/page/', import.meta.url));
const to = join(resolve(out), 'control-center/page');
const files = (await readdir(from)).filter((file) => /\.(html|css|js)$/.test(file));
await rm(to, { recursive: true, force: true });
for (const file of files) await cp(join(from, file), join(to, file));
