import { mergeConfig } from 'vitest/config';
import { shared } from '../../vitest.shared';

export default mergeConfig(shared, { test: { name: 'emulator', root: import.meta.dirname } });
