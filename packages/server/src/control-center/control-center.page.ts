import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

/*
 * The control center's page: one self-contained document (no external assets, the token never embedded). Its script
 * works out the API's address from its own path, reads the token from `?token=` if there is one, and sends it as a
 * Bearer header (and as `?token=` to the event stream, which cannot send headers). Everything from the server is put
 * in the page as text, never as markup.
 *
 * Its sources are files in ./page/: an HTML document that links its stylesheet and its scripts (checked JavaScript),
 * linted, formatted and type-checked with the rest of the code (docs/design-notes.md). The package's build copies them
 * beside this module (scripts/copy-control-center-page.mjs). They are read once, when this module loads (synchronously:
 * no top-level await, so require(esm) apps keep working), and served with each linked file inlined in place of its
 * link: the page stays one response, needs no other route (nor credentials for one), and its policy allows exactly
 * its own style and scripts, by hash.
 */

const PAGE_DIR = new URL('./page/', import.meta.url);
const read = (file: string): string => readFileSync(new URL(file, PAGE_DIR), 'utf8');

/** A stylesheet or script the page links, as Prettier writes the tag; the file sits beside the page. */
const LINKED = /<link rel="stylesheet" href="([\w.-]+\.css)" \/>|<script src="([\w.-]+\.js)"><\/script>/g;

function inlinePage(): { html: string; styles: string[]; scripts: string[] } {
  const styles: string[] = [];
  const scripts: string[] = [];
  const html = read('control-center.page.html').replace(LINKED, (_tag, css: string | undefined, js: string | undefined) => {
    const [tag, text, list] = css ? (['style', read(css), styles] as const) : (['script', read(js!), scripts] as const);
    // The text ends where `</style` or `</script` appears, whatever follows: such a file could not be inlined as is.
    if (text.toLowerCase().includes(`</${tag}`)) throw new Error(`control center page: ${css ?? js} contains </${tag}`);
    list.push(text);
    return `<${tag}>${text}</${tag}>`;
  });
  if (styles.length === 0 || scripts.length === 0) throw new Error('control center page: no stylesheet or script linked');
  return { html, styles, scripts };
}

const { html, styles, scripts } = inlinePage();

export const CONTROL_CENTER_PAGE = html;

const sha256 = (text: string): string => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/** Only this page's own style and scripts run; it talks to its own origin only and cannot be framed. */
export const CONTROL_CENTER_PAGE_CSP = [
  "default-src 'none'",
  `style-src ${styles.map(sha256).join(' ')}`,
  `script-src ${scripts.map(sha256).join(' ')}`,
  "connect-src 'self'",
  'img-src data:',
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
