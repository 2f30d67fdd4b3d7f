import { mergeConfig } from 'vitest/config';
import { shared } from '../vitest.shared';

// The repository's own scripts and checks across packages; fixtures/ holds projects that only these tests run (their files end in .fixture.ts).
export default mergeConfig(shared, {
  test: { name: 'scripts', root: import.meta.dirname, include: ['*.test.ts'] },
});
