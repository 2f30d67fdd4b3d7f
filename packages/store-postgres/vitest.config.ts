import { mergeConfig } from 'vitest/config';
import { shared } from '../../vitest.shared';

export default mergeConfig(shared, { test: { name: 'store-postgres', root: import.meta.dirname } });
