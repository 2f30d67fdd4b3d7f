import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, type Page, startHarness } from './harness';

// A lazy panel whose chunk does not arrive (the network dropped, a deploy replaced the files), in headless
// Chromium on the production build of the editor's test page: the chunk's request is aborted by the browser.
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ pages: ['editor.html'] });
});
afterAll(async () => {
  await h?.close();
});

const chunk = (name: string) => new RegExp(`/assets/${name}-[^/]*\\.js$`);
const node = (page: Page, id: string) => page.locator(`[data-testid="node-${id}"]`);

describe('a lazy panel whose code fails to load, in Chromium', () => {
  it('shows a coded notice in its place, keeps the canvas working, and loads on Retry', async () => {
    await h.browser.route(chunk('Inspector'), (route) => route.abort('internetdisconnected'));
    let page: Page;
    try {
      page = await h.open('/editor.html?fixture=pipeline');
      const notice = page.locator('[data-code="panel.load-failed"]');
      await expect.poll(() => notice.textContent()).toContain('Could not load the inspector');
      // the canvas and its chrome are still there and still take edits
      await expect.poll(() => node(page, 'generate').isVisible()).toBe(true);
      await node(page, 'prompt').click();
      await page.keyboard.press('Delete');
      await expect.poll(() => node(page, 'prompt').count()).toBe(0);
      await page.getByRole('button', { name: 'Undo' }).click();
      await expect.poll(() => node(page, 'prompt').count()).toBe(1);
    } finally {
      await h.browser.unroute(chunk('Inspector'));
    }
    await page.getByRole('button', { name: 'Retry' }).click();
    await expect.poll(() => page.getByRole('complementary', { name: 'Inspector' }).count()).toBe(1);
    expect(await page.locator('[data-code="panel.load-failed"]').count()).toBe(0);
    await page.close();
  });

  it('says so for the run history too, and the rest of the editor stays', async () => {
    await h.browser.route(chunk('RunHistory'), (route) => route.abort('internetdisconnected'));
    try {
      // the local runtime keeps runs: the toolbar has its History button
      const page = await h.open('/editor.html?fixture=pipeline&runtime=local');
      await page.getByRole('button', { name: 'History' }).click();
      await expect
        .poll(() => page.locator('[data-code="panel.load-failed"]').textContent())
        .toContain('Could not load the run history');
      expect(await node(page, 'generate').isVisible()).toBe(true);
      expect(await page.getByRole('complementary', { name: 'Inspector' }).count()).toBe(1);
      await page.close();
    } finally {
      await h.browser.unroute(chunk('RunHistory'));
    }
  });

  it('that cannot load can be put away: the keyboard is on Retry, Escape closes it, and the focus stays in the editor', async () => {
    await h.browser.route(chunk('Palette'), (route) => route.abort('internetdisconnected'));
    try {
      const page = await h.open('/editor.html?fixture=pipeline');
      await page.getByRole('button', { name: '+ Node' }).click();
      const notice = page.locator('[data-code="panel.load-failed"]');
      await expect.poll(() => notice.textContent()).toContain('Could not load the palette');
      // the palette's field that had the focus is gone with its box: never <body>
      await expect
        .poll(() =>
          page.evaluate(() => document.activeElement?.textContent ?? document.activeElement?.tagName),
        )
        .toBe('Retry');
      await page.keyboard.press('Escape');
      await expect.poll(() => notice.count()).toBe(0);
      expect(await page.evaluate(() => document.activeElement === document.body)).toBe(false);
      // and again, closed with the mouse this time
      await page.getByRole('button', { name: '+ Node' }).click();
      await expect.poll(() => notice.count()).toBe(1);
      await notice.getByRole('button', { name: 'Close' }).click();
      await expect.poll(() => notice.count()).toBe(0);
      expect(await page.evaluate(() => document.activeElement === document.body)).toBe(false);
      await page.close();
    } finally {
      await h.browser.unroute(chunk('Palette'));
    }
  });
});
