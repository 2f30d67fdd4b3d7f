import type { Reporter, SerializedError, TestModule } from 'vitest/node';

/**
 * What failed in a run, by kind: tests, hooks (`beforeAll`/`afterAll` errors, a hook timeout
 * among them), files that failed outside any test or hook (a module that did not load or
 * collect), and errors vitest caught outside every file.
 *
 * @example
 * const { failed } = countResults(testModules, unhandledErrors);
 */
export interface RunCounts {
  passed: number;
  skipped: number;
  /** Everything that failed: `tests + hooks + fileLoads + unhandled`; 0 only when the run passed. */
  failed: number;
  tests: number;
  hooks: number;
  fileLoads: number;
  unhandled: number;
  files: { passed: number; failed: number };
}

/**
 * Counts a finished run. A hook error is held by its suite (or by its module when the hook is
 * at file level), with the suite's tests skipped; a module that failed to load holds its error
 * and no test at all.
 *
 * @example
 * countResults(modules, []).failed; // ≥ 1 when a beforeAll timed out, though no test failed
 */
export function countResults(
  testModules: ReadonlyArray<TestModule>,
  unhandledErrors: ReadonlyArray<SerializedError>,
): RunCounts {
  const counts: RunCounts = {
    passed: 0,
    skipped: 0,
    failed: 0,
    tests: 0,
    hooks: 0,
    fileLoads: 0,
    unhandled: unhandledErrors.length,
    files: { passed: 0, failed: 0 },
  };
  for (const module of testModules) {
    let collected = 0;
    let failedHere = 0;
    for (const test of module.children.allTests()) {
      collected++;
      const state = test.result().state;
      if (state === 'passed') counts.passed++;
      else if (state === 'failed') failedHere++;
      else counts.skipped++;
    }
    counts.tests += failedHere;
    // After collection, the only errors a suite or a module holds are its beforeAll/afterAll's.
    let hooks = 0;
    for (const suite of module.children.allSuites()) hooks += suite.errors().length;
    if (collected > 0) hooks += module.errors().length;
    counts.hooks += hooks;
    failedHere += hooks;
    if (module.state() === 'failed') {
      counts.files.failed++;
      // A failed module with nothing above to show for it did not load (or failed in a way vitest names only there).
      if (failedHere === 0) counts.fileLoads++;
    } else if (module.state() === 'passed') {
      counts.files.passed++;
    }
  }
  counts.failed = counts.tests + counts.hooks + counts.fileLoads + counts.unhandled;
  return counts;
}

/**
 * The closing line: `Tests: P passed, F failed, S skipped (failed: T tests, H hooks, L file
 * loads, U unhandled errors); Files: P passed, F failed`. F is the sum, so a CI that reads the
 * first `N failed` sees every failure, not only failed tests.
 *
 * @example
 * summaryLine(countResults(modules, errors)); // 'Tests: 3 passed, 1 failed, 0 skipped (failed: …'
 */
export function summaryLine(c: RunCounts): string {
  const n = (count: number, one: string, many = `${one}s`) => `${count} ${count === 1 ? one : many}`;
  const why = [
    n(c.tests, 'test'),
    n(c.hooks, 'hook'),
    n(c.fileLoads, 'file load'),
    n(c.unhandled, 'unhandled error'),
  ].join(', ');
  return `Tests: ${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped (failed: ${why}); Files: ${c.files.passed} passed, ${c.files.failed} failed`;
}

/**
 * Prints one plain closing line after vitest's own summary: CI tooling that does not know
 * vitest reads it to count what ran and what failed.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(
    testModules: ReadonlyArray<TestModule>,
    unhandledErrors: ReadonlyArray<SerializedError>,
  ): void {
    process.stdout.write(`\n${summaryLine(countResults(testModules, unhandledErrors))}\n`);
  }
}
