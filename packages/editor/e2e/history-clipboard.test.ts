import type { GraphDocument } from '@loraflow/core';
import { createRegistry } from '@loraflow/core';
import { createRuntime, createRuntimeHandler } from '@loraflow/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testPack } from '../src/test/test-pack';
import { type Harness, type Page, startHarness } from './harness';

// The run history panel on the local and the remote runtime, and copy/paste through the system clipboard,
// in headless Chromium on the production build of the editor's test page.
let h: Harness;
beforeAll(async () => {
  const server = createRuntime({ registry: createRegistry(testPack) });
  h = await startHarness({
    pages: ['editor.html'],
    handlers: { '/api/loraflow': createRuntimeHandler(server) },
  });
});
afterAll(async () => {
  await h?.close();
});

const node = (page: Page, id: string) => page.locator(`[data-testid="node-${id}"]`);
const currentDoc = (page: Page) =>
  page.evaluate(() => (window as unknown as { __doc?: GraphDocument }).__doc);
/** What has the keyboard: a short description, `body` when the focus was lost. */
const focused = (page: Page) =>
  page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return 'body';
    return `${el.tagName.toLowerCase()}:${el.getAttribute('aria-label') ?? el.textContent?.trim() ?? ''}`;
  });

async function runAndWait(page: Page, status: string) {
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await expect.poll(() => page.getByTestId('run-status').getAttribute('data-status')).toBe(status);
}

/** Tabs forward until the focused element matches, as a keyboard user would (at most 20 presses). */
async function tabTo(page: Page, pattern: RegExp): Promise<void> {
  for (let i = 0; i < 20; i++) {
    if (pattern.test(await focused(page))) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`Tab never reached ${pattern}; the focus is on ${await focused(page)}`);
}

describe('the run history panel in Chromium', () => {
  it('lists the runs of the local runtime and reopens an earlier one from the keyboard, the focus never on <body>', async () => {
    const page = await h.open('/editor.html?fixture=pipeline&runtime=local');
    await page.getByRole('button', { name: 'History' }).click();
    const panel = page.getByRole('region', { name: 'Run history' });
    await expect.poll(() => panel.textContent()).toContain('No runs yet');
    expect(await focused(page)).toBe('h2:Run history');

    await runAndWait(page, 'succeeded');
    expect(await node(page, 'generate').getAttribute('data-status')).toBe('succeeded');
    await runAndWait(page, 'succeeded');
    // the second run found everything in the cache: reopening the first shows "succeeded" again
    expect(await node(page, 'generate').getAttribute('data-status')).toBe('cached');
    const items = panel.locator('.lf-history__item');
    await expect.poll(() => items.count()).toBe(2);
    await expect.poll(() => items.nth(1).locator('img.lf-history__thumb').count()).toBe(2);
    const width = await items
      .nth(1)
      .locator('img.lf-history__thumb')
      .first()
      .evaluate((img) => (img as HTMLImageElement).naturalWidth);
    expect(width).toBeGreaterThan(0);
    expect(await items.nth(0).getAttribute('aria-current')).toBe('true');

    await panel.getByRole('heading', { name: 'Run history' }).focus();
    await page.keyboard.press('Tab');
    await tabTo(page, /^button:View 2 images$/); // the newest run's
    await page.keyboard.press('Tab');
    await tabTo(page, /^button:Open the run of .*: succeeded, took .*, 2 images$/);
    await page.keyboard.press('Enter');
    await expect.poll(() => node(page, 'generate').getAttribute('data-status')).toBe('succeeded');
    expect(await items.nth(1).getAttribute('aria-current')).toBe('true');
    expect(await focused(page)).toMatch(/^button:Open the run of/);

    // its images in the viewer; Escape gives the focus back to the button that opened it
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByRole('dialog', { name: /image 1 of 2$/ }).count()).toBe(1);
    await page.keyboard.press('Escape');
    await expect.poll(() => focused(page)).toBe('button:View 2 images');
    // Escape closes the panel; the focus goes back to the History button
    await page.keyboard.press('Escape');
    await expect.poll(() => panel.count()).toBe(0);
    expect(await focused(page)).toBe('button:History');
    await page.close();
  });

  it("reopens, in a new page, a run made on the server through the remote client, with the server's images", async () => {
    const first = await h.open('/editor.html?fixture=pipeline&runtime=remote');
    await runAndWait(first, 'succeeded');
    await first.close();

    const page = await h.open('/editor.html?fixture=pipeline&runtime=remote');
    expect(await node(page, 'generate').getAttribute('data-status')).toBe('idle');
    await page.getByRole('button', { name: 'History' }).click();
    const run = page.locator('.lf-history__item').first();
    await expect.poll(() => run.getAttribute('data-status')).toBe('succeeded');
    await expect.poll(() => run.locator('img.lf-history__thumb').count()).toBe(2);
    await run.locator('.lf-history__open').click();
    await expect.poll(() => node(page, 'generate').getAttribute('data-status')).toBe('succeeded');
    await expect.poll(() => node(page, 'generate').locator('img.lf-thumb').count()).toBe(2);
    expect(await page.getByTestId('run-status').getAttribute('data-status')).toBe('succeeded');
    await page.close();
  });
});

describe('copy and paste through the system clipboard in Chromium', () => {
  it('copies nodes in one editor and pastes them in another page; other clipboard text is refused with a notice', async () => {
    await h.browser.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: h.url });
    const source = await h.open('/editor.html?fixture=pipeline&runtime=none');
    // on the node's edge: a click on its text would edit that text in place
    await node(source, 'style').click({ position: { x: 4, y: 4 } });
    await node(source, 'blend').click({ position: { x: 4, y: 4 }, modifiers: ['Control'] });
    await source.keyboard.press('Control+C');
    const text = await source.evaluate(() => navigator.clipboard.readText());
    expect(JSON.parse(text)).toMatchObject({
      format: 'loraflow.clipboard',
      nodes: [{ id: 'style' }, { id: 'blend' }],
      edges: [{ from: { node: 'style' }, to: { node: 'blend' } }],
    });
    // a browser that sends no copy event to the canvas: the clipboard API writes the same text after the key
    await source.evaluate(() => window.addEventListener('copy', (e) => e.stopImmediatePropagation(), true));
    await node(source, 'prompt').click({ position: { x: 4, y: 4 } });
    await source.keyboard.press('Control+C');
    await expect
      .poll(async () => JSON.parse(await source.evaluate(() => navigator.clipboard.readText())).nodes)
      .toMatchObject([{ id: 'prompt' }]);
    await source.evaluate((t) => navigator.clipboard.writeText(t), text);

    const target = await h.open('/editor.html?fixture=empty&runtime=none');
    await target.locator('.react-flow__pane').click({ position: { x: 30, y: 30 } });
    await target.keyboard.press('Control+V');
    await expect
      .poll(async () => (await currentDoc(target))?.nodes.map((n) => n.type))
      .toEqual(['test.lora', 'test.compose']);
    expect((await currentDoc(target))?.edges).toHaveLength(1);
    expect(await focused(target)).not.toBe('body');

    // text from elsewhere: nothing pasted, nothing lost, and a sentence says why
    await target.evaluate(() => navigator.clipboard.writeText('a lighthouse at dusk'));
    await target.locator('.react-flow__pane').click({ position: { x: 30, y: 30 } });
    await target.keyboard.press('Control+V');
    const notice = target.locator('.lf-notice');
    await expect.poll(() => notice.getAttribute('data-code')).toBe('clipboard.not-loraflow');
    expect(await notice.textContent()).toContain(
      'Nothing was pasted: the clipboard holds text, not loraflow nodes.',
    );
    expect((await currentDoc(target))?.nodes).toHaveLength(2);
    await source.close();
    await target.close();
  });
});
