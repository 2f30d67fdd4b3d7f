import type { StorybookConfig } from '@storybook/react-vite';
import { defaultClientConditions } from 'vite';

// Stories run on the packages' sources (the `source` export condition), like the tests.
const config: StorybookConfig = {
  framework: { name: '@storybook/react-vite', options: {} },
  stories: ['../src/**/*.stories.tsx'],
  // The example graphs' training images are fetched by the in-browser files service.
  staticDirs: [{ from: '../../examples', to: '/examples' }],
  core: { disableTelemetry: true },
  viteFinal: async (config) => {
    config.resolve ??= {};
    config.resolve.conditions = ['source', ...defaultClientConditions];
    return config;
  },
};
export default config;
