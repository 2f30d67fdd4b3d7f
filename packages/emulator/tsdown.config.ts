import { defineConfig } from 'tsdown';

// The published build: ESM and bundled .d.ts in dist/, one file per `exports` entry; dependencies stay imports.
export default defineConfig({
  entry: ['src/index.ts', 'src/node.ts'],
  format: 'esm',
  platform: 'node',
  // .js, as `exports` names the files (the package is "type": "module").
  fixedExtension: false,
  dts: true,
  sourcemap: true,
  deps: { skipNodeModulesBundle: true },
  checks: { pluginTimings: false },
});
