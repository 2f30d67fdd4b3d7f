import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startHarness } from '../../packages/editor/e2e/harness';

// Saves a PNG of one story after its play function: `tsx --conditions=source stories/test/screenshot.ts <Story> <out.png> [width height]`.
const [story = 'ExampleGraph', out = 'docs/images/editor.png', width = '1400', height = '900'] =
  process.argv.slice(2);
const publicDir = await mkdtemp(join(tmpdir(), 'loraflow-stories-public-'));
await symlink(fileURLToPath(new URL('../../examples', import.meta.url)), join(publicDir, 'examples'));
const h = await startHarness({
  root: fileURLToPath(new URL('.', import.meta.url)),
  pages: ['runner.html'],
  publicDir,
});
try {
  const page = await h.browser.newPage();
  await page.setViewportSize({ width: Number(width), height: Number(height) });
  await page.goto(`${h.url}/runner.html?story=${story}`);
  await page.waitForFunction(() => (window as { __result?: string }).__result !== undefined, undefined, {
    timeout: 0,
  });
  const result = await page.evaluate(() => (window as unknown as { __result: string }).__result);
  if (result !== 'passed') throw new Error(`the story ${story} did not pass: ${result}`);
  // what the played story left on screen, once its fonts are in and two frames have painted
  await page.evaluate(async () => {
    await document.fonts.ready;
    for (let i = 0; i < 2; i++) await new Promise((r) => requestAnimationFrame(r));
  });
  await page.screenshot({ path: out });
  process.stdout.write(`${out}\n`);
} finally {
  await h.close();
  await rm(publicDir, { recursive: true, force: true });
}
