/**
 * Every relative link of README.md and docs/*.md points to a file that exists, and every `#anchor` (on the same page
 * or another) to a heading that GitHub would give that id. Links in code blocks and code spans are text, not links.
 */
import { describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { ROOT } from '../support/packed-package.js';
import { markdownPages } from './markdown-snippets.js';

/** The page's text with fenced blocks and code spans blanked out (lines kept, so line numbers still hold). */
function withoutCode(text: string): string {
  let fence: string | undefined;
  return text
    .split('\n')
    .map((line) => {
      const marker = /^(```|~~~)/.exec(line)?.[1];
      if (fence) {
        if (marker === fence) fence = undefined;
        return '';
      }
      if (marker) {
        fence = marker;
        return '';
      }
      return line.replace(/`[^`]*`/g, '``');
    })
    .join('\n');
}

/** GitHub's id for a heading: its text as rendered, lower case, punctuation but `-` and `_` dropped, spaces as `-`. */
export function githubSlug(heading: string): string {
  const rendered = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // a link shows its text
    .replace(/`([^`]*)`/g, '$1') // a code span its content
    .replace(/(\*\*|__|\*|\b_|_\b)(?=\S)([^*_]*?\S)\1/g, '$2') // emphasis its words
    .trim()
    .toLowerCase();
  return rendered.replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
}

/** The ids of a page's headings, with GitHub's `-1`, `-2` suffixes for repeated ones. */
export function anchorsOf(text: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  let fence: string | undefined;
  for (const line of text.split('\n')) {
    const marker = /^(```|~~~)/.exec(line)?.[1];
    if (fence) {
      if (marker === fence) fence = undefined;
      continue;
    }
    if (marker) {
      fence = marker;
      continue;
    }
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)?.[1];
    if (heading === undefined) continue;
    const slug = githubSlug(heading);
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

interface Link {
  page: string;
  line: number;
  target: string;
}

async function relativeLinks(): Promise<Link[]> {
  const links: Link[] = [];
  for (const page of await markdownPages(ROOT)) {
    const lines = withoutCode(await readFile(join(ROOT, page), 'utf8')).split('\n');
    lines.forEach((text, i) => {
      for (const [, target] of text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
        if (!/^[a-z][a-z0-9+.-]*:/i.test(target!)) links.push({ page, line: i + 1, target: target! });
      }
    });
  }
  return links;
}

describe('links of README.md and docs/', () => {
  it('GitHub slugs: code spans, links and punctuation as GitHub renders them', () => {
    expect(githubSlug('Migrating from socket.io-p2p-plugin')).toBe('migrating-from-socketio-p2p-plugin');
    expect(githubSlug("The control center's routes")).toBe('the-control-centers-routes');
    expect(githubSlug('`P2pClient` option `webrtc`')).toBe('p2pclient-option-webrtc');
    expect(githubSlug('`DirectUpgrade`: keeping a pairing on a direct path')).toBe('directupgrade-keeping-a-pairing-on-a-direct-path');
    expect(githubSlug('forRootAsync with a class: P2pOptionsFactory')).toBe('forrootasync-with-a-class-p2poptionsfactory');
    expect(githubSlug('**Bold** and [a link](x.md) and snake_case')).toBe('bold-and-a-link-and-snake_case');
    expect([...anchorsOf('# A\n## Tests\n```sh\n# not a heading\n```\n## Tests\n')]).toEqual(['a', 'tests', 'tests-1']);
  });

  it('every relative link reaches a file, and every anchor a heading of its page', async () => {
    const links = await relativeLinks();
    expect(links.length).toBeGreaterThan(80);
    const anchorCache = new Map<string, Set<string>>();
    const dead: string[] = [];
    for (const { page, line, target } of links) {
      const [path, anchor] = target.split('#', 2) as [string, string | undefined];
      const file = path === '' ? join(ROOT, page) : resolve(dirname(join(ROOT, page)), decodeURIComponent(path));
      if (!existsSync(file)) {
        dead.push(`${page}:${line} ${target}: no file ${relative(ROOT, file)}`);
        continue;
      }
      if (anchor === undefined) continue;
      if (!file.endsWith('.md')) {
        dead.push(`${page}:${line} ${target}: an anchor into a file that is not Markdown`);
        continue;
      }
      if (!anchorCache.has(file)) anchorCache.set(file, anchorsOf(await readFile(file, 'utf8')));
      if (!anchorCache.get(file)!.has(anchor)) dead.push(`${page}:${line} ${target}: no heading #${anchor} in ${relative(ROOT, file)}`);
    }
    expect(dead).toEqual([]);
  });
});
