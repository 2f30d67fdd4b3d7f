import { defineConfig } from 'tsdown';

// The published build: ESM and bundled .d.ts in dist/, one file per `exports` entry; dependencies stay imports.
export default defineConfig({
  // Both transports are entries: `#transport` stays an import that the package's `imports` map resolves to
  // the undici one under node and the fetch one elsewhere, as it does from src/.
  entry: ['src/index.ts', 'src/node.ts', 'src/transport.ts', 'src/transport.node.ts'],
  format: 'esm',
  platform: 'neutral',
  // .js, as `exports` names the files (the package is "type": "module").
  fixedExtension: false,
  dts: true,
  sourcemap: true,
  deps: { skipNodeModulesBundle: true, neverBundle: ['#transport'] },
  checks: { pluginTimings: false },
});
