/**
 * Every TypeScript block (```ts or ```typescript) of README.md and docs/*.md, as a module of its own for the snippet
 * test (test/docs/snippets.spec.ts). The convention (docs/design-notes.md, "Docs are compiled"):
 *
 * - An HTML comment right before the block, opening with `<!-- snippet`, holds the lines a reader need not see
 *   (imports, stand-ins, `declare const socket: Socket;`). Markdown renders nothing of it; the test compiles them
 *   ahead of the block, as Rust's doctests compile the lines they hide with `#`.
 * - Words after `snippet` on the comment's first line are flags. `compile-fail:TS2322` marks a block that must NOT
 *   compile: the test asserts that it fails, with that code.
 * - Other fenced blocks (sh, json, html, text diagrams) are not TypeScript and are not compiled.
 */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import ts from 'typescript';

export interface Snippet {
  /** `README.md:128`: the page and the line of the block's first code line. */
  origin: string;
  /** A file name for it: `README.md-128.ts`. */
  fileName: string;
  /** The hidden context lines, then the block's own. */
  lines: SnippetLine[];
  /** The TypeScript error code the block must fail with; undefined for a block that must compile. */
  compileFail: string | undefined;
}

export interface SnippetLine {
  text: string;
  /** `README.md:130`, where the line is written (context lines included). */
  origin: string;
}

const TS_FENCE = /^```(ts|typescript)(\s.*)?$/;
const FENCE = /^```/;
const TILDE_FENCE = /^~~~/;
const KNOWN_FLAGS = /^compile-fail:TS\d+$/;

/** README.md and every docs/*.md, relative to `root`. */
export async function markdownPages(root: string): Promise<string[]> {
  const docs = (await readdir(join(root, 'docs'))).filter((file) => file.endsWith('.md')).sort();
  return ['README.md', ...docs.map((file) => `docs/${file}`)];
}

/** The TypeScript blocks of one page. Throws on an unclosed block or comment, or an unknown flag. */
export function extractSnippets(page: string, text: string): Snippet[] {
  const lines = text.split('\n');
  const snippets: Snippet[] = [];
  let context: { lines: SnippetLine[]; flags: string[] } | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith('<!-- snippet')) {
      const end = lines.findIndex((candidate, j) => j >= i && candidate.includes('-->'));
      if (end < 0) throw new Error(`${page}:${i + 1}: unclosed <!-- snippet comment`);
      const flags = line.slice('<!-- snippet'.length).replace('-->', '').trim().split(/\s+/).filter(Boolean);
      const unknown = flags.filter((flag) => !KNOWN_FLAGS.test(flag));
      if (unknown.length > 0) throw new Error(`${page}:${i + 1}: unknown snippet flag(s) ${unknown.join(' ')}`);
      const hidden = end === i ? [] : lines.slice(i + 1, end).map((text, k) => ({ text, origin: `${page}:${i + 2 + k}` }));
      context = { lines: hidden, flags };
      i = end;
      continue;
    }
    if (TILDE_FENCE.test(line)) {
      // A ~~~ block is shown as it is (the design notes show the convention with one): nothing in it is a snippet.
      const close = lines.findIndex((candidate, j) => j > i && TILDE_FENCE.test(candidate));
      if (close < 0) throw new Error(`${page}:${i + 1}: unclosed ~~~ block`);
      context = undefined;
      i = close;
      continue;
    }
    if (!FENCE.test(line)) {
      // The comment belongs to the very next block: only blank lines may stand between.
      if (line.trim() !== '') context = undefined;
      continue;
    }
    const close = lines.findIndex((candidate, j) => j > i && FENCE.test(candidate));
    if (close < 0) throw new Error(`${page}:${i + 1}: unclosed code block`);
    if (TS_FENCE.test(line)) {
      const body = lines.slice(i + 1, close).map((text, k) => ({ text, origin: `${page}:${i + 2 + k}` }));
      const compileFail = context?.flags.find((flag) => flag.startsWith('compile-fail:'))?.slice('compile-fail:'.length);
      snippets.push({
        origin: `${page}:${i + 2}`,
        fileName: `${page.replace(/\//g, '-')}-${i + 2}.ts`,
        lines: [...(context?.lines ?? []), ...body],
        compileFail,
      });
    } else if (context) {
      throw new Error(`${page}:${i + 1}: a <!-- snippet comment before a block that is not TypeScript`);
    }
    context = undefined;
    i = close;
  }
  return snippets;
}

export async function allSnippets(root: string): Promise<Snippet[]> {
  const snippets: Snippet[] = [];
  for (const page of await markdownPages(root)) snippets.push(...extractSnippets(page, await readFile(join(root, page), 'utf8')));
  return snippets;
}

/** A snippet as a source file: its text, and for each of its lines where it was written. */
export interface SnippetSource {
  text: string;
  origins: string[];
}

/**
 * The snippet as an ES module: its lines as they are, then `export {}` so that every snippet is a module of its own
 * (two snippets may both declare `const client`).
 */
export function asEsModule(snippet: Snippet): SnippetSource {
  return {
    text: [...snippet.lines.map((line) => line.text), 'export {};', ''].join('\n'),
    origins: [...snippet.lines.map((line) => line.origin), `${snippet.origin} (end)`],
  };
}

/**
 * The snippet as a CommonJS module. A CommonJS module has no top-level await: a snippet that uses it (the README's
 * client quick start) has its statements wrapped in `async function snippet()`, with its imports, ambient
 * declarations and types left at the top. A snippet that both awaits at the top level and exports is refused.
 */
export function asCommonJsModule(snippet: Snippet): SnippetSource {
  const esm = asEsModule(snippet);
  const own = snippet.lines.map((line) => line.text).join('\n');
  const source = ts.createSourceFile(snippet.fileName, own, ts.ScriptTarget.ES2023, true);
  if (!source.statements.some(awaitsAtTopLevel)) return esm;
  const top: Array<[number, number]> = [];
  const body: Array<[number, number]> = [];
  for (const statement of source.statements) {
    // A statement's full start is the end of the one before it: its own lines (comments above it included) begin on
    // the next line.
    const fullStart = statement.getFullStart();
    const start = fullStart === 0 ? 0 : source.getLineAndCharacterOfPosition(fullStart).line + 1;
    const end = source.getLineAndCharacterOfPosition(statement.getEnd()).line;
    const range: [number, number] = [Math.min(start, end), end];
    if (ts.canHaveModifiers(statement) && ts.getModifiers(statement)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) {
      throw new Error(`${snippet.origin}: awaits at the top level and exports: it cannot be a CommonJS module`);
    }
    const staysOnTop =
      ts.isImportDeclaration(statement) ||
      ts.isInterfaceDeclaration(statement) ||
      ts.isTypeAliasDeclaration(statement) ||
      (ts.canHaveModifiers(statement) && ts.getModifiers(statement)?.some((m) => m.kind === ts.SyntaxKind.DeclareKeyword));
    (staysOnTop ? top : body).push(range);
  }
  const lines = esm.text.split('\n');
  const text: string[] = [];
  const origins: string[] = [];
  const take = ([from, to]: [number, number]) => {
    for (let i = from; i <= to; i++) {
      text.push(lines[i]!);
      origins.push(esm.origins[i]!);
    }
  };
  top.forEach(take);
  text.push('export async function snippet(): Promise<void> {');
  origins.push(`${snippet.origin} (wrapper)`);
  body.forEach(take);
  text.push('}', '');
  origins.push(`${snippet.origin} (wrapper)`, `${snippet.origin} (wrapper)`);
  return { text: text.join('\n'), origins };
}

/** A top-level `await` or `for await` in this statement, outside any function. */
function awaitsAtTopLevel(node: ts.Node): boolean {
  if (ts.isFunctionLike(node) || ts.isClassLike(node)) return false;
  if (ts.isAwaitExpression(node)) return true;
  if (ts.isForOfStatement(node) && node.awaitModifier) return true;
  return ts.forEachChild(node, awaitsAtTopLevel) ?? false;
}
