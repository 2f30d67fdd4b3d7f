import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getRequestListener } from '@hono/node-server';
import react from '@vitejs/plugin-react';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { build, defaultClientConditions, type InlineConfig, type PreviewServer, preview } from 'vite';

/** What a browser test or the benchmark needs: the pages' base URL, one Chromium, and a way to stop both. */
export interface Harness {
  url: string;
  browser: BrowserContext;
  open(path: string): Promise<Page>;
  close(): Promise<void>;
}

const editorPages = fileURLToPath(new URL('./pages', import.meta.url));

/** Which pages to build: a folder and the HTML files in it (the editor's bench/test pages by default). */
export interface HarnessOptions {
  root?: string;
  pages?: string[];
  /** Served as-is at the site root (e.g. example images the pages fetch). */
  publicDir?: string;
  /** Keep names readable (for profiling). */
  minify?: boolean;
  /** Module aliases of the build (e.g. React 18 in place of React 19). */
  alias?: Array<{ find: RegExp; replacement: string }>;
  /** Fetch-style handlers mounted on the preview server by path prefix (e.g. a runtime's HTTP API). */
  handlers?: Record<string, (request: Request) => Promise<Response>>;
}

/** Debian's chromium; CI installs it through scripts/ensure-chromium.sh. */
const executablePath = process.env.LORAFLOW_CHROMIUM ?? '/usr/bin/chromium';

/**
 * Builds the test pages in production mode (what a host ships), serves them on 127.0.0.1 port 0 and
 * starts one headless Chromium with a fresh profile.
 *
 * @example
 * const h = await startHarness();
 * const page = await h.open('/editor.html?fixture=pipeline');
 * await h.close();
 */
export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const pagesRoot = options.root ?? editorPages;
  const pages = options.pages ?? ['bare.html', 'editor.html'];
  const outDir = await mkdtemp(join(tmpdir(), 'loraflow-editor-pages-'));
  const profile = await mkdtemp(join(tmpdir(), 'loraflow-chromium-'));
  let server: PreviewServer | undefined;
  let browser: BrowserContext | undefined;
  try {
    const config: InlineConfig = {
      root: pagesRoot,
      configFile: false as const,
      logLevel: 'silent' as const,
      plugins: [
        react(),
        {
          name: 'loraflow-test-handlers',
          configurePreviewServer(server) {
            for (const [prefix, handler] of Object.entries(options.handlers ?? {})) {
              server.middlewares.use(prefix, getRequestListener(handler));
            }
          },
        },
      ],
      publicDir: options.publicDir ?? (false as const),
      resolve: {
        conditions: ['source', ...defaultClientConditions],
        ...(options.alias ? { alias: options.alias } : {}),
      },
      build: {
        outDir,
        emptyOutDir: true,
        minify: options.minify ?? true,
        reportCompressedSize: false,
        rollupOptions: {
          input: Object.fromEntries(pages.map((p) => [p.replace(/\.html$/, ''), join(pagesRoot, p)])),
        },
      },
      preview: { host: '127.0.0.1', port: 0, strictPort: false },
    };
    await build(config);
    server = await preview(config);
    const address = server.httpServer.address();
    if (address === null || typeof address === 'string')
      throw new Error('the preview server has no TCP address');
    const url = `http://127.0.0.1:${address.port}`;
    // A persistent context is how playwright takes a fresh --user-data-dir of our own.
    browser = await chromium.launchPersistentContext(profile, {
      executablePath,
      headless: true,
      viewport: { width: 1400, height: 900 },
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    // tsx (esbuild keepNames) wraps named functions in __name(); functions sent to the page need it too.
    await browser.addInitScript({ content: 'globalThis.__name ??= (f) => f;' });
    // No wall-clock limit on any page's actions and waits: a loaded machine is slow, not wrong (the suite's hang guard ends a hang).
    browser.setDefaultTimeout(0);
    const b = browser;
    const s = server;
    return {
      url,
      browser: b,
      async open(path) {
        const page = await b.newPage();
        const errors: string[] = [];
        page.on('pageerror', (e) => errors.push(e.message));
        await page.goto(url + path);
        await page.waitForFunction(() => (window as { __ready?: boolean }).__ready === true);
        // fitView runs once nodes are measured, after the first frame.
        await holdsStill(page);
        if (errors.length > 0) throw new Error(`the page failed: ${errors.join('; ')}`);
        return page;
      },
      async close() {
        await b.close();
        await new Promise<void>((resolve) => s.httpServer.close(() => resolve()));
        await rm(outDir, { recursive: true, force: true });
        await rm(profile, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await browser?.close();
    if (server) await new Promise<void>((resolve) => server?.httpServer.close(() => resolve()));
    await rm(outDir, { recursive: true, force: true });
    await rm(profile, { recursive: true, force: true });
    throw error;
  }
}

/**
 * Waits until the canvas holds still: the viewport's and every node's transform unchanged for five polls in a row
 * (a fit or a layout animates over a few frames). It ends on that condition only, however slow the machine.
 */
export async function holdsStill(page: Page): Promise<void> {
  await page.waitForFunction(
    () => {
      const w = window as { __lastTransform?: string; __stableFrames?: number };
      const t = [...document.querySelectorAll('.react-flow__viewport, .react-flow__node')]
        .map((e) => e.getAttribute('style') ?? '')
        .join('|');
      w.__stableFrames = t !== '' && t === w.__lastTransform ? (w.__stableFrames ?? 0) + 1 : 0;
      w.__lastTransform = t;
      return w.__stableFrames >= 5;
    },
    undefined,
    { polling: 50 },
  );
}

export type { Page };
