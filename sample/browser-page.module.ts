import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Controller, type DynamicModule, Get, Header, Inject, Module, NotFoundException, Param } from '@nestjs/common';

const BROWSER_PAGE_DIRS = Symbol('BROWSER_PAGE_DIRS');

interface BrowserPageDirs {
  /** sample/browser: the page and its script. */
  pageDir: string;
  /** The browser bundles (`npm run build` writes them to packages/server/dist/browser). */
  bundleDir: string;
}

/** The repository root, found from this file whether it runs from sample/ (ts) or dist/sample/ (built). */
function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

const SCRIPTS: Record<string, 'page' | 'bundle'> = {
  'app.js': 'page',
  'p2p-client.js': 'bundle',
  'socket.io-client.js': 'bundle',
};

/** Serves the browser sample at /browser/?clientId=...: its page, its script and the client bundles. */
@Controller('browser')
class BrowserPageController {
  constructor(@Inject(BROWSER_PAGE_DIRS) private readonly dirs: BrowserPageDirs) {}

  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  page(): Promise<string> {
    return readFile(join(this.dirs.pageDir, 'index.html'), 'utf8');
  }

  @Get(':file')
  @Header('Content-Type', 'text/javascript; charset=utf-8')
  async script(@Param('file') file: string): Promise<string> {
    const from = Object.hasOwn(SCRIPTS, file) ? SCRIPTS[file] : undefined;
    if (!from) throw new NotFoundException();
    try {
      return await readFile(join(from === 'page' ? this.dirs.pageDir : this.dirs.bundleDir, file), 'utf8');
    } catch {
      throw new NotFoundException(`${file} is missing: run \`npm run build\` first`);
    }
  }
}

@Module({})
export class BrowserPageModule {
  static register(options: Partial<BrowserPageDirs> = {}): DynamicModule {
    const root = projectRoot();
    const dirs: BrowserPageDirs = {
      pageDir: options.pageDir ?? join(root, 'sample', 'browser'),
      bundleDir: options.bundleDir ?? join(root, 'packages', 'server', 'dist', 'browser'),
    };
    return {
      module: BrowserPageModule,
      controllers: [BrowserPageController],
      providers: [{ provide: BROWSER_PAGE_DIRS, useValue: dirs }],
    };
  }
}
