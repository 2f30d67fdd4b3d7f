import { mergeConfig } from 'vitest/config';
import { shared } from '../../vitest.shared';

export default mergeConfig(shared, {
  test: {
    name: 'editor',
    root: import.meta.dirname,
    include: ['src/**/*.test.{ts,tsx}', 'e2e/**/*.test.ts'],
    // Browser tests start Vite and Chromium once per file; 2 cores make this slow, not flaky.
    testTimeout: 90_000,
    hookTimeout: 120_000,
  },
});
