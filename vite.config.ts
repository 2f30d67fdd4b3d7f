import { defineConfig } from 'vitest/config';

// One vitest run for the workspace: each package (and stories/) is a project with its own config.
export default defineConfig({
  test: {
    projects: ['packages/*/vitest.config.ts', 'stories/vitest.config.ts', 'scripts/vitest.config.ts'],
    // 2 cores on CI: two workers keep suites parallel without starving loopback servers.
    maxWorkers: 2,
    // vitest's summary, then one plain 'Tests: N passed, N failed, …' line that any CI can read; its
    // failed count holds failed tests, hooks and files that did not load.
    reporters: ['default', './scripts/summary-reporter.ts'],
  },
});
