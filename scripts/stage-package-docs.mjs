// The server package's prepack: its README is the repository's, and the docs/ that README links to ship beside it,
// so every relative link of the README resolves on the registry's page and in node_modules. Both copies are ignored
// by git (.gitignore); the repository's README.md and docs/ stay the only sources.
import { cp, rm } from 'node:fs/promises';
import { URL, fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const pkg = `${root}packages/server/`;

await rm(`${pkg}docs`, { recursive: true, force: true });
await cp(`${root}docs`, `${pkg}docs`, { recursive: true });
await cp(`${root}README.md`, `${pkg}README.md`);
