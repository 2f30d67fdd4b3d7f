import { mergeConfig } from 'vitest/config';
import { shared } from '../../vitest.shared';

export default mergeConfig(shared, { test: { name: 'browser', root: import.meta.dirname } });
