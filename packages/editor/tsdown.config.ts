import { defineConfig } from 'tsdown';

// The published build: ESM and bundled .d.ts in dist/, one file per `exports` entry; dependencies stay imports.
export default defineConfig({
  entry: ['src/index.ts'],
  format: 'esm',
  platform: 'neutral',
  // .js, as `exports` names the files (the package is "type": "module").
  fixedExtension: false,
  dts: true,
  sourcemap: true,
  deps: { skipNodeModulesBundle: true },
  // Plain CSS that the host imports itself as `@loraflow/editor/style.css`: copied, not bundled.
  copy: [{ from: 'src/style.css', to: 'dist' }],
  checks: { pluginTimings: false },
});
