import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import react from '@vitejs/plugin-react';
import { build, defaultClientConditions, type InlineConfig, type Rollup } from 'vite';
import type { Page } from '../e2e/harness';

/** First render, pan and drag timings of one page, measured inside it. */
export interface PageTimings {
  firstRenderMs: number;
  panFrameMsMedian: number;
  dragFrameMsMedian: number;
}

/**
 * Measures an already loaded page: first render is navigation start to the first frame where every
 * node is measured and visible; a "frame" is the main-thread time to process one pointer move
 * (event handlers, React render, style and layout), dispatched 60 times in a row.
 */
export async function measurePage(page: Page): Promise<PageTimings> {
  return page.evaluate(async () => {
    const frame = () => new Promise<number>((r) => requestAnimationFrame(r));
    // React schedules continuous-event renders as a macrotask; this one runs after it.
    const flushTask = () =>
      new Promise<void>((r) => {
        const c = new MessageChannel();
        c.port1.onmessage = () => r();
        c.port2.postMessage(0);
      });
    const w = window as unknown as { __firstRender?: number };
    const median = (xs: number[]) => {
      const s = [...xs].sort((a, b) => a - b);
      return s[Math.floor(s.length / 2)] ?? Number.NaN;
    };
    const mouse = (target: EventTarget, type: string, x: number, y: number) =>
      target.dispatchEvent(
        new MouseEvent(type, {
          bubbles: true,
          cancelable: true,
          view: window,
          clientX: x,
          clientY: y,
          button: 0,
          buttons: type === 'mouseup' ? 0 : 1,
        }),
      );
    const moves = async (target: Element, x0: number, y0: number): Promise<number[]> => {
      const times: number[] = [];
      mouse(target, 'mousedown', x0, y0);
      await frame();
      for (let i = 1; i <= 60; i++) {
        const t0 = performance.now();
        mouse(window, 'mousemove', x0 + i * 3, y0 + (i % 2));
        await flushTask();
        void document.body.getBoundingClientRect();
        times.push(performance.now() - t0);
        await frame();
      }
      mouse(window, 'mouseup', x0 + 180, y0);
      await frame();
      return times;
    };

    const pane = document.querySelector('.react-flow__pane');
    const flowEl = document.querySelector('.react-flow');
    if (!pane || !flowEl) throw new Error('no React Flow pane on the page');
    const rect = flowEl.getBoundingClientRect();
    const panTimes = await moves(pane, rect.left + 3, rect.top + rect.height / 2);

    const cx = rect.left + rect.width / 2;
    const cy = rect.top + rect.height / 2;
    let nodeEl = document.elementFromPoint(cx, cy)?.closest('.react-flow__node');
    if (!nodeEl) {
      // The centre may fall between nodes; take the node closest to it.
      let best = Number.POSITIVE_INFINITY;
      for (const el of document.querySelectorAll('.react-flow__node')) {
        const r = el.getBoundingClientRect();
        const d = Math.hypot(r.left + r.width / 2 - cx, r.top + r.height / 2 - cy);
        if (d < best) {
          best = d;
          nodeEl = el;
        }
      }
    }
    if (!nodeEl) throw new Error('no node to drag');
    const nr = nodeEl.getBoundingClientRect();
    const dragTimes = await moves(
      nodeEl,
      nr.left + Math.min(20, nr.width / 3),
      nr.top + Math.min(6, nr.height / 3),
    );
    return {
      firstRenderMs: w.__firstRender ?? Number.NaN,
      panFrameMsMedian: median(panTimes),
      dragFrameMsMedian: median(dragTimes),
    };
  });
}

/** Installs, before navigation, a per-frame check that records when every node is first measured and visible. */
export async function installFirstRenderProbe(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const w = window as unknown as { __firstRender?: number };
    const check = () => {
      const nodes = document.querySelectorAll<HTMLElement>('.react-flow__node');
      let ready = nodes.length > 0;
      for (const n of nodes) {
        if (n.style.visibility === 'hidden') {
          ready = false;
          break;
        }
      }
      if (ready) w.__firstRender = performance.now();
      else requestAnimationFrame(check);
    };
    // Started once the document exists: a frame callback registered earlier belongs to the blank page.
    document.addEventListener('DOMContentLoaded', () => requestAnimationFrame(check));
  });
}

/** Waits for the probe's answer: milliseconds from navigation start to the first complete frame. */
export async function waitForFirstRender(page: Page, timeoutMs = 120_000): Promise<number> {
  await page.waitForFunction(
    () => (window as unknown as { __firstRender?: number }).__firstRender !== undefined,
    undefined,
    {
      timeout: timeoutMs,
    },
  );
  return page.evaluate(() => (window as unknown as { __firstRender: number }).__firstRender);
}

/**
 * The editor's library bundle, gzipped, with its peers left out: react, react-dom, @xyflow/react, and zod
 * (every node pack a host passes in is built from zod schemas, so the host ships zod already).
 */
export async function bundleSize(): Promise<{
  entryGzipBytes: number;
  lazyGzipBytes: number;
  cssGzipBytes: number;
}> {
  const external = (id: string) => /^(react|react-dom|@xyflow\/react|zod)(\/|$)/.test(id);
  const out = await viteBuild({
    lib: { entry: 'src/index.ts', formats: ['es'], fileName: 'index' },
    rollupOptions: { external },
  });
  const sized = gzipSizes(out);
  const entryGzipBytes = sized.upFrontJs;
  const lazyGzipBytes = sized.lazyJs;
  let cssGzipBytes = sized.css;
  // The stylesheet ships as its own export (`@loraflow/editor/style.css`), which the JS entry does not
  // import, so the build above never sees it: measure the file hosts actually load.
  if (cssGzipBytes === 0) {
    cssGzipBytes = gzipSync(readFileSync(new URL('../src/style.css', import.meta.url))).length;
  }
  return { entryGzipBytes, lazyGzipBytes, cssGzipBytes };
}

/** What one page makes a browser download, gzipped: every JS chunk and stylesheet a production build emits. */
export interface PageBundle {
  page: string;
  /** JS and CSS the page's HTML loads at once. */
  initialGzipBytes: number;
  /** Chunks loaded on first use (the layout engine, for example). */
  lazyGzipBytes: number;
}

/**
 * Builds a page entry with vite as a host's app build would (production, minified, nothing external)
 * and sums the gzip size of what it emits.
 */
export async function pageBundle(page: string, entry: string): Promise<PageBundle> {
  const out = await viteBuild(
    { cssCodeSplit: false, rollupOptions: { input: fileURLToPath(new URL(entry, import.meta.url)) } },
    { 'process.env.NODE_ENV': '"production"' },
  );
  const sized = gzipSizes(out);
  const initialGzipBytes = sized.upFrontJs + sized.css;
  const lazyGzipBytes = sized.lazyJs;
  return { page, initialGzipBytes, lazyGzipBytes };
}

/**
 * The gzip sizes of a build's output: JS that loads with the entry (the entry chunk and every chunk it imports
 * statically, transitively — a chunk shared by the entry and a lazy one is split out of the entry, but still
 * loads up front), JS loaded on first use, and CSS.
 */
function gzipSizes(out: Rollup.RollupOutput | Rollup.RollupOutput[]): {
  upFrontJs: number;
  lazyJs: number;
  css: number;
} {
  const outputs = (Array.isArray(out) ? out : [out]).flatMap((o) => o.output);
  const chunks = new Map(outputs.flatMap((f) => (f.type === 'chunk' ? [[f.fileName, f] as const] : [])));
  const upFront = new Set<string>();
  const visit = (name: string) => {
    if (upFront.has(name)) return;
    upFront.add(name);
    for (const dep of chunks.get(name)?.imports ?? []) visit(dep);
  };
  for (const c of chunks.values()) if (c.isEntry) visit(c.fileName);
  const sizes = { upFrontJs: 0, lazyJs: 0, css: 0 };
  for (const file of outputs) {
    const code = file.type === 'chunk' ? file.code : file.source;
    const size = gzipSync(Buffer.from(code)).length;
    if (file.type === 'chunk') {
      if (upFront.has(file.fileName)) sizes.upFrontJs += size;
      else sizes.lazyJs += size;
    } else if (file.fileName.endsWith('.css')) sizes.css += size;
  }
  return sizes;
}

/** A minified, in-memory vite build of this package's code with the editor's React plugin. */
async function viteBuild(
  options: NonNullable<InlineConfig['build']>,
  define?: Record<string, string>,
): Promise<Rollup.RollupOutput | Rollup.RollupOutput[]> {
  return (await build({
    root: fileURLToPath(new URL('..', import.meta.url)),
    configFile: false,
    logLevel: 'silent',
    plugins: [react()],
    resolve: { conditions: ['source', ...defaultClientConditions] },
    ...(define ? { define } : {}),
    build: { write: false, minify: true, reportCompressedSize: false, ...options },
  })) as Rollup.RollupOutput | Rollup.RollupOutput[];
}
