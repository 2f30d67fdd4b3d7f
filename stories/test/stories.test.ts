import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../../packages/editor/e2e/harness';

// The stories' play functions, run in headless Chromium on a production build of the stories, then
// axe-core on the page each one leaves (no serious or critical accessibility violation).
let h: Harness;
let publicDir: string;
beforeAll(async () => {
  // The in-browser files service fetches /examples/…: serve the repo's examples there.
  publicDir = await mkdtemp(join(tmpdir(), 'loraflow-stories-public-'));
  await symlink(fileURLToPath(new URL('../../examples', import.meta.url)), join(publicDir, 'examples'));
  h = await startHarness({
    root: fileURLToPath(new URL('.', import.meta.url)),
    pages: ['runner.html'],
    publicDir,
  });
});
afterAll(async () => {
  await h?.close();
  if (publicDir) await rm(publicDir, { recursive: true, force: true });
});

async function play(story: string): Promise<string> {
  const page = await h.browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  try {
    await page.goto(`${h.url}/runner.html?story=${story}`);
    await page.waitForFunction(() => (window as { __result?: string }).__result !== undefined);
    const result = await page.evaluate(() => (window as unknown as { __result: string }).__result);
    return errors.length > 0 ? `${result}; page errors: ${errors.join('; ')}` : result;
  } finally {
    await page.close();
  }
}

describe('stories in Chromium', () => {
  for (const story of [
    'Empty',
    'PaletteEnterAtOnce',
    'Invalid',
    'ReadOnly',
    'EveryNodeRunning',
    'EveryNodeSucceeded',
    'ComposeTrainGenerate',
    'TrainingFailsOnCue',
    'TrainingCancelled',
    'ExampleGraph',
    'NodeContent',
    'DragCues',
    'DragCuesDark',
    'KeyboardWiring',
    'Dark',
    'EveryNodeRunningDark',
    'EveryNodeQueued',
    'EveryNodeCached',
    'EveryNodeFailed',
    'EveryNodeSkipped',
    'ImageViewer',
    'ImageViewerStepsToLoading',
    'PickerResults',
    'PickerAllFamilies',
    'PickerOnNode',
    'PickerSearching',
    'PickerEmpty',
    'PickerError',
    'PickerDark',
    'PickerOnEmulator',
    'PickerOverlappingPages',
    'PickerClosesOutside',
    'PickerDamagedRows',
    'PickerOnClassRuntime',
    'PickerThrowsAtOnce',
    'HistoryEmpty',
    'HistorySeveralRuns',
    'HistoryFailedRun',
    'HistoryReopened',
    'HistoryDark',
    'HistoryManyRuns',
    'HistoryOtherGraph',
    'HistoryNewRun',
    'HistoryKeptOnReopen',
    'HistoryGraphEdited',
  ]) {
    it(`plays ${story}`, async () => {
      expect(await play(story)).toBe('passed');
    });
  }
});
