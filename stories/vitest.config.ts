import { mergeConfig } from 'vitest/config';
import { shared } from '../vitest.shared';

export default mergeConfig(shared, {
  test: {
    name: 'stories',
    root: import.meta.dirname,
    include: ['test/**/*.test.ts'],
  },
});
