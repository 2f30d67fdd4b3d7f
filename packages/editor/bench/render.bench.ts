import { startHarness } from '../e2e/harness';
import { bundleSize, installFirstRenderProbe, measurePage, pageBundle, waitForFirstRender } from './measure';

// loraflow vs a bare @xyflow/react page with the same nodes and edges, in one Chromium, interleaved.
// One JSON object per line on stdout.
const sizes = (process.env.LORAFLOW_BENCH_SIZES ?? '100,1000,2000').split(',').map(Number);
const rounds = Number(process.env.LORAFLOW_BENCH_ROUNDS ?? '3');

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
const round = (x: number) => Math.round(x * 100) / 100;

const h = await startHarness();
try {
  for (const nodes of sizes) {
    const results: Record<'loraflow' | 'bare', { first: number[]; pan: number[]; drag: number[] }> = {
      loraflow: { first: [], pan: [], drag: [] },
      bare: { first: [], pan: [], drag: [] },
    };
    for (let r = 0; r < rounds; r++) {
      // Each round swaps which page goes first, so a machine warming up or slowing down favours neither.
      const order = r % 2 === 0 ? (['bare', 'loraflow'] as const) : (['loraflow', 'bare'] as const);
      for (const pageName of order) {
        const page = await h.browser.newPage();
        const path =
          pageName === 'bare' ? `/bare.html?n=${nodes}` : `/editor.html?fixture=grid&n=${nodes}&runtime=none`;
        await installFirstRenderProbe(page);
        await page.goto(h.url + path);
        const first = await waitForFirstRender(page);
        await page.waitForTimeout(300);
        const t = await measurePage(page);
        results[pageName].first.push(first);
        results[pageName].pan.push(t.panFrameMsMedian);
        results[pageName].drag.push(t.dragFrameMsMedian);
        await page.close();
      }
    }
    const line = (page: 'loraflow' | 'bare') => ({
      page,
      nodes,
      firstRenderMs: round(median(results[page].first)),
      panFrameMsMedian: round(median(results[page].pan)),
      dragFrameMsMedian: round(median(results[page].drag)),
      // a dragged node's position updates per second of main-thread time: one per pointer move
      dragUpdatesPerSec: round(1000 / median(results[page].drag)),
      rounds,
    });
    const l = line('loraflow');
    const b = line('bare');
    process.stdout.write(`${JSON.stringify(b)}\n`);
    process.stdout.write(
      `${JSON.stringify({
        ...l,
        firstRenderRatio: round(l.firstRenderMs / b.firstRenderMs),
        panRatio: round(l.panFrameMsMedian / b.panFrameMsMedian),
        dragRatio: round(l.dragFrameMsMedian / b.dragFrameMsMedian),
        dragUpdatesRatio: round(l.dragUpdatesPerSec / b.dragUpdatesPerSec),
        targets: { firstRenderRatio: 1.15, dragUpdatesRatio: 0.9 },
      })}\n`,
    );
  }
  // What a host's users download: the editor page of docs/embedding-editor.md against the smallest React Flow page.
  const barePage = await pageBundle('bare', './pages/bare-page.tsx');
  const editorPage = await pageBundle('loraflow+remote', './pages/editor-page.tsx');
  process.stdout.write(`${JSON.stringify({ ...barePage, bundleGzBytes: barePage.initialGzipBytes })}\n`);
  process.stdout.write(
    `${JSON.stringify({
      ...editorPage,
      bundleGzBytes: editorPage.initialGzipBytes,
      ratioToBare: round(editorPage.initialGzipBytes / barePage.initialGzipBytes),
      targetRatio: 1.5,
    })}\n`,
  );
  const bundle = await bundleSize();
  process.stdout.write(
    `${JSON.stringify({ page: 'bundle', ...bundle, limitGzipBytes: 80 * 1024, withinLimit: bundle.entryGzipBytes + bundle.cssGzipBytes <= 80 * 1024 })}\n`,
  );
} finally {
  await h.close();
}
