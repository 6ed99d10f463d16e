/**
 * Docs that cannot rot: every TypeScript block of README.md and docs/*.md, with its hidden context lines (the
 * `<!-- snippet` convention of test/docs/markdown-snippets.ts), is compiled under `strict` and
 * `exactOptionalPropertyTypes` against the packed package, in an ESM and a CommonJS Nest 12 project
 * (test/docs/fixtures/). One tsc program per project holds every snippet as a module of its own, beside the type
 * tests of test/docs/fixtures/shared/ (every optional option accepts undefined; the DOM's and node-datachannel's
 * RTCPeerConnection fit the `RTCPeerConnection` option). A block flagged `compile-fail:TSxxxx` must fail with that code.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, SETUP_TIMEOUT_MS, STEP_TIMEOUT_MS, installFixture, packPackages, tscDiagnostics } from '../support/packed-package.js';
import { type Snippet, type SnippetSource, allSnippets, asCommonJsModule, asEsModule, extractSnippets } from './markdown-snippets.js';

const FIXTURES = join(ROOT, 'test/docs/fixtures');
const PROJECTS = { esm: asEsModule, cjs: asCommonJsModule } as const;
type ProjectName = keyof typeof PROJECTS;

interface Diagnostic {
  file: string;
  line: number;
  code: string;
  message: string;
}

/** `src/snippets/README.md-128.ts(12,5): error TS2322: ...` and its indented continuation lines. */
function parseDiagnostics(output: string): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  for (const line of output.split('\n')) {
    const match = /^(.+?)\((\d+),\d+\): error (TS\d+): (.*)$/.exec(line);
    if (match) diagnostics.push({ file: match[1]!, line: Number(match[2]), code: match[3]!, message: match[4]! });
    else if (line.startsWith(' ') && diagnostics.length > 0) diagnostics.at(-1)!.message += `\n${line}`;
    else if (line.trim() !== '') diagnostics.push({ file: '?', line: 0, code: '?', message: line });
  }
  return diagnostics;
}

describe('the TypeScript blocks of README.md and docs/', () => {
  let tmp: string;
  let snippets: Snippet[];
  const sources = {} as Record<ProjectName, Map<string, SnippetSource>>;
  const diagnostics = {} as Record<ProjectName, Diagnostic[]>;

  beforeAll(async () => {
    snippets = await allSnippets(ROOT);
    tmp = await mkdtemp(join(tmpdir(), 'p2p-snippets-'));
    const packages = await packPackages(tmp);
    await Promise.all(
      (Object.keys(PROJECTS) as ProjectName[]).map(async (name) => {
        // Typechecked only: no install scripts (node-datachannel's would fetch its native build).
        const project = await installFixture(join(FIXTURES, name), join(tmp, name), packages, { ignoreScripts: true });
        await cp(join(FIXTURES, 'shared'), join(project, 'src'), { recursive: true });
        await mkdir(join(project, 'src/snippets'));
        sources[name] = new Map();
        for (const snippet of snippets) {
          const source = PROJECTS[name](snippet);
          sources[name].set(`src/snippets/${snippet.fileName}`, source);
          await writeFile(join(project, 'src/snippets', snippet.fileName), source.text);
        }
        diagnostics[name] = parseDiagnostics(await tscDiagnostics(project, 'tsconfig.json'));
      }),
    );
  }, SETUP_TIMEOUT_MS);

  afterAll(async () => {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('finds every block of every page (README.md and docs/*.md)', () => {
    const pages = new Set(snippets.map((snippet) => snippet.origin.split(':')[0]));
    expect(pages).toContain('README.md');
    expect(pages).toContain('docs/webrtc.md');
    expect(snippets.length).toBeGreaterThanOrEqual(30);
    expect(snippets.filter((snippet) => snippet.compileFail).length).toBeGreaterThanOrEqual(1);
  });

  describe.each(Object.keys(PROJECTS) as ProjectName[])('in the %s project', (name) => {
    /** Where each error was written: the markdown line for a snippet, the file otherwise. */
    const located = (diagnostic: Diagnostic) => {
      const source = sources[name].get(diagnostic.file);
      const where = source ? (source.origins[diagnostic.line - 1] ?? diagnostic.file) : `${diagnostic.file}:${diagnostic.line}`;
      return `${where} ${diagnostic.code}: ${diagnostic.message}`;
    };

    it(
      'compiles every block but the compile-fail ones, and the type tests beside them (options, peer connections)',
      () => {
        const failing = new Set(snippets.filter((snippet) => snippet.compileFail).map((snippet) => `src/snippets/${snippet.fileName}`));
        expect(diagnostics[name].filter((diagnostic) => !failing.has(diagnostic.file)).map(located)).toEqual([]);
      },
      STEP_TIMEOUT_MS,
    );

    it('fails each compile-fail block with the error it names', () => {
      for (const snippet of snippets.filter((candidate) => candidate.compileFail)) {
        const codes = diagnostics[name].filter((diagnostic) => diagnostic.file === `src/snippets/${snippet.fileName}`).map((d) => d.code);
        expect({ snippet: snippet.origin, failsWith: codes.includes(snippet.compileFail!) }).toEqual({
          snippet: snippet.origin,
          failsWith: true,
        });
      }
    });
  });
});

describe('the snippet convention', () => {
  const page = [
    'Text.',
    '<!-- snippet',
    "import { hidden } from 'x';",
    '-->',
    '',
    '```ts',
    'shown(hidden);',
    '```',
    '```sh',
    'npm test',
    '```',
    '<!-- snippet compile-fail:TS2322 -->',
    '```typescript',
    "const n: number = 'one';",
    '```',
    '~~~md',
    '```ts',
    'inside a tilde block: shown, not compiled',
    '```',
    '~~~',
    '```ts',
    'const last = await Promise.resolve(1);',
    '```',
  ].join('\n');

  it('prepends the hidden lines, keeps each line where it was written, and reads the flags', () => {
    const [first, second, third, ...rest] = extractSnippets('page.md', page);
    expect(rest).toEqual([]);
    expect(first!.lines).toEqual([
      { text: "import { hidden } from 'x';", origin: 'page.md:3' },
      { text: 'shown(hidden);', origin: 'page.md:7' },
    ]);
    expect(first!.compileFail).toBeUndefined();
    expect(second!.compileFail).toBe('TS2322');
    expect(second!.origin).toBe('page.md:14');
    expect(third!.origin).toBe('page.md:22');
  });

  it('ties the comment to the next block only, and refuses unknown flags and unclosed blocks', () => {
    expect(extractSnippets('p.md', '<!-- snippet\nx\n-->\nprose\n```ts\ny\n```')[0]!.lines.map((line) => line.text)).toEqual(['y']);
    expect(() => extractSnippets('p.md', '<!-- snippet no-such-flag -->\n```ts\n```')).toThrow('unknown snippet flag(s) no-such-flag');
    expect(() => extractSnippets('p.md', '```ts\nx')).toThrow('p.md:1: unclosed code block');
    expect(() => extractSnippets('p.md', '<!-- snippet\nx\n-->\n```sh\nls\n```')).toThrow('not TypeScript');
  });

  it('wraps top-level await in a function for CommonJS, imports and declarations left on top, lines still mapped', () => {
    const snippet = extractSnippets(
      'p.md',
      "<!-- snippet\nimport { io } from 'socket.io-client';\ndeclare const url: string;\n-->\n```ts\nconst socket = io(url);\nawait socket.emitWithAck('x');\n```",
    )[0]!;
    expect(asEsModule(snippet).text).toContain("\nawait socket.emitWithAck('x');\nexport {};");
    const cjs = asCommonJsModule(snippet);
    expect(cjs.text.split('\n')).toEqual([
      "import { io } from 'socket.io-client';",
      'declare const url: string;',
      'export async function snippet(): Promise<void> {',
      'const socket = io(url);',
      "await socket.emitWithAck('x');",
      '}',
      '',
    ]);
    expect(cjs.origins.slice(0, 5)).toEqual(['p.md:2', 'p.md:3', 'p.md:6 (wrapper)', 'p.md:6', 'p.md:7']);
    const exporting = extractSnippets('p.md', '```ts\nexport const x = await Promise.resolve(1);\n```')[0]!;
    expect(() => asCommonJsModule(exporting)).toThrow('awaits at the top level and exports');
  });
});
