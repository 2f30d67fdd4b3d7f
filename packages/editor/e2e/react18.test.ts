import { realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type { GraphDocument } from '@loraflow/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, type Page, startHarness } from './harness';

// The editor's test page built against React 18 (the devDependencies react-18 and react-dom-18 in place of
// react and react-dom, for the page and every library it bundles): the peer range's lower end, in Chromium.
const require = createRequire(import.meta.url);
const packageDir = (name: string) => realpathSync(dirname(require.resolve(`${name}/package.json`)));
const react18 = packageDir('react-18');
const reactDom18 = packageDir('react-dom-18');

let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    pages: ['editor.html'],
    alias: [
      { find: /^react(\/.*)?$/, replacement: `${react18}$1` },
      { find: /^react-dom(\/.*)?$/, replacement: `${reactDom18}$1` },
    ],
  });
});
afterAll(async () => {
  await h?.close();
});

const node = (page: Page, id: string) => page.locator(`[data-testid="node-${id}"]`);
const currentDoc = (page: Page) =>
  page.evaluate(() => (window as unknown as { __doc?: GraphDocument }).__doc);

describe('the editor under React 18 in Chromium', () => {
  it('renders, adds a node from the palette, undoes it, runs, reopens the run from the history and pastes', async () => {
    const errors: string[] = [];
    const page = await h.open('/editor.html?fixture=pipeline&runtime=local');
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    expect(await page.evaluate(() => (window as unknown as { __react: string }).__react)).toMatch(/^18\./);
    expect(await page.locator('.lf-node').count()).toBe(5);

    await page.locator('.react-flow__pane').click({ position: { x: 30, y: 30 } });
    await page.keyboard.press('/');
    await page.locator('.lf-palette [cmdk-input]').fill('compose');
    // the item once the palette's search shows it (Enter before that picks nothing)
    const item = page.locator('.lf-palette [cmdk-item][data-node-type="test.compose"]');
    await expect.poll(() => item.count()).toBe(1);
    await item.click();
    await expect.poll(async () => (await currentDoc(page))?.nodes.length).toBe(6);
    // the keyboard back on the canvas once the palette has gone
    await expect.poll(() => page.locator('.lf-palette').count()).toBe(0);
    await expect
      .poll(() => page.evaluate(() => document.activeElement?.closest('.lf-root') !== null))
      .toBe(true);
    await page.keyboard.press('Control+Z');
    await expect.poll(async () => (await currentDoc(page))?.nodes.length).toBe(5);

    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await expect.poll(() => page.getByTestId('run-status').getAttribute('data-status')).toBe('succeeded');
    await expect.poll(() => node(page, 'generate').locator('img.lf-thumb').count()).toBe(2);
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await expect.poll(() => node(page, 'generate').getAttribute('data-status')).toBe('cached');

    await page.getByRole('button', { name: 'History' }).click();
    const older = page.locator('.lf-history__item').nth(1);
    await expect.poll(() => older.locator('img.lf-history__thumb').count()).toBe(2);
    await older.locator('.lf-history__open').focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => node(page, 'generate').getAttribute('data-status')).toBe('succeeded');

    // a paste of foreign text is refused with a notice, the graph kept
    await page.locator('.react-flow__pane').click({ position: { x: 30, y: 30 } });
    await page.evaluate(() => {
      const data = new DataTransfer();
      data.setData('text/plain', '{"nodes": "not these"}');
      document.activeElement?.dispatchEvent(
        new ClipboardEvent('paste', { clipboardData: data, bubbles: true }),
      );
    });
    await expect
      .poll(() => page.locator('.lf-notice').getAttribute('data-code'))
      .toBe('clipboard.not-loraflow');
    expect((await currentDoc(page))?.nodes).toHaveLength(5);
    expect(errors).toEqual([]);
    await page.close();
  });
});
