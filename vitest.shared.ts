import { fileURLToPath } from 'node:url';
import { defaultClientConditions, defaultServerConditions } from 'vite';
import { defineProject } from 'vitest/config';

/**
 * The one wall-clock bound on a test or a hook: a guard against a hang, never a speed check. A loaded
 * 2-core CI runner took over 150 s for the build test's hook, so the bound sits far above anything the
 * suite does there, and still ends a hang with the test's name rather than a CI job killed in silence.
 * Waiting inside a test uses fake timers, or polls with no deadline of its own (see CONTRIBUTING.md).
 *
 * @example
 * defineProject({ test: { testTimeout: HANG_GUARD_MS } });
 */
export const HANG_GUARD_MS = 10 * 60_000;

/**
 * How long `expect.poll` keeps asking, by default: no speed check either, only a guard a minute inside the
 * test's, so a condition that never holds fails with its own assertion (what was awaited, what was seen)
 * rather than a bare "test timed out". Tests wait with `expect.poll` (or fake timers), never `vi.waitFor`,
 * whose default of one second cannot be raised in one place.
 *
 * @example
 * await expect.poll(() => store.getState().run.status).toBe('running');
 */
export const POLL_GUARD_MS = HANG_GUARD_MS - 60_000;

/** Settings every package's vitest project shares: workspace packages resolve to `src/` through the `source` export condition, and a test that writes to the console fails. */
export const shared = defineProject({
  resolve: { conditions: ['source', ...defaultClientConditions] },
  ssr: { resolve: { conditions: ['source', ...defaultServerConditions] } },
  test: {
    setupFiles: [fileURLToPath(new URL('./vitest.setup.ts', import.meta.url))],
    testTimeout: HANG_GUARD_MS,
    hookTimeout: HANG_GUARD_MS,
    expect: { poll: { timeout: POLL_GUARD_MS } },
  },
});
