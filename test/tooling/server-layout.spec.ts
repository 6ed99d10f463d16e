import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';

/*
 * The server's folders import one way (docs/design-notes.md, "Folders import one way"): the composition at the top
 * (the entry files, gateway/), the parts below it, the leaves (connection/, options/, tokens/, ...) at the bottom.
 * Read from the sources' relative imports, `import type` included, as the house's import-cycle check reads them.
 */

const SRC = fileURLToPath(new URL('../../packages/server/src', import.meta.url));
/** Sub-folders counted as folders of their own. */
const OWN_FOLDERS = ['transport/handlers'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** A file's folder: its first level under src (`.` for the entry files), or one of OWN_FOLDERS. */
function folderOf(file: string): string {
  const path = relative(SRC, file).split(sep).join('/');
  const own = OWN_FOLDERS.find((folder) => path.startsWith(`${folder}/`));
  if (own) return own;
  return path.includes('/') ? path.slice(0, path.indexOf('/')) : '.';
}

/** Each file's relative imports (static, dynamic and re-exports), resolved to files. */
function importsByFile(): Map<string, string[]> {
  const imports = new Map<string, string[]>();
  for (const file of sourceFiles(SRC)) {
    const targets: string[] = [];
    for (const match of readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)) {
      let target = resolve(dirname(file), match[1]!).replace(/\.js$/, '.ts');
      if (!existsSync(target)) target = join(target.replace(/\.ts$/, ''), 'index.ts');
      if (!existsSync(target)) throw new Error(`${relative(SRC, file)} imports ${match[1]}, which is no file`);
      targets.push(target);
    }
    imports.set(file, targets);
  }
  return imports;
}

/** The groups of nodes that reach each other (Tarjan's strongly connected components), of two nodes or more. */
function cycles(edges: Map<string, Set<string>>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, next);
    low.set(node, next++);
    stack.push(node);
    onStack.add(node);
    for (const to of edges.get(node) ?? []) {
      if (!index.has(to)) {
        visit(to);
        low.set(node, Math.min(low.get(node)!, low.get(to)!));
      } else if (onStack.has(to)) low.set(node, Math.min(low.get(node)!, index.get(to)!));
    }
    if (low.get(node) !== index.get(node)) return;
    const group: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      group.push(member);
    } while (member !== node);
    if (group.length > 1) found.push(group.sort());
  };
  for (const node of edges.keys()) if (!index.has(node)) visit(node);
  return found;
}

const imports = importsByFile();
/** Folder arrows, each with the imports that make it: `from -> to` -> ['file -> file', ...]. */
const arrows = new Map<string, string[]>();
for (const [file, targets] of imports) {
  for (const target of targets) {
    const [from, to] = [folderOf(file), folderOf(target)];
    if (from === to) continue;
    const key = `${from} -> ${to}`;
    arrows.set(key, [...(arrows.get(key) ?? []), `${relative(SRC, file)} -> ${relative(SRC, target)}`]);
  }
}
const folderEdges = new Map<string, Set<string>>();
for (const key of arrows.keys()) {
  const [from, to] = key.split(' -> ') as [string, string];
  folderEdges.set(from, (folderEdges.get(from) ?? new Set()).add(to));
}

describe('packages/server/src layout', () => {
  it('has no import cycle among its files', () => {
    const fileEdges = new Map([...imports].map(([file, targets]) => [file, new Set(targets)]));
    expect(cycles(fileEdges).map((group) => group.map((file) => relative(SRC, file)))).toEqual([]);
  });

  it('has no folder that imports one importing it back, directly or through others', () => {
    const back = cycles(folderEdges).map((group) =>
      [...arrows].filter(([key]) => group.includes(key.split(' -> ')[0]!) && group.includes(key.split(' -> ')[1]!)),
    );
    expect(back).toEqual([]);
    expect(folderEdges.size).toBeGreaterThan(10);
  });

  it('keeps the composition at the top: only the entry files import gateway/', () => {
    const importers = [...arrows.keys()].filter((key) => key.endsWith(' -> gateway')).map((key) => key.split(' -> ')[0]);
    expect(importers).toEqual(['.']);
  });

  it('keeps the connection state a leaf of the Socket.IO side, and the tokens, the log and the auth hooks leaves', () => {
    const above = ['.', 'gateway', 'transport', 'transport/handlers', 'cluster', 'limits', 'metrics', 'control-center', 'webrtc'];
    expect([...(folderEdges.get('connection') ?? [])].filter((to) => above.includes(to))).toEqual([]);
    expect(folderEdges.get('tokens')).toBeUndefined();
    expect(folderEdges.get('logging')).toBeUndefined();
    // The hooks quote what they log through the log's `printable`, a leaf too; nothing else.
    expect([...(folderEdges.get('auth') ?? [])]).toEqual(['logging']);
  });
});
