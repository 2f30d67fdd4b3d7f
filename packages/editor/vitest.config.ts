import { mergeConfig } from 'vitest/config';
import { shared } from '../../vitest.shared';

export default mergeConfig(shared, {
  test: {
    name: 'editor',
    root: import.meta.dirname,
    include: ['src/**/*.test.{ts,tsx}', 'e2e/**/*.test.ts'],
  },
});
