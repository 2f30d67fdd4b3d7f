import { defineConfig, type UserConfig } from 'tsdown';

/**
 * The published build every package shares: ESM and bundled .d.ts in dist/, one file per `exports`
 * entry; dependencies stay imports. A package names its entries and platform, and adds what only it
 * needs (copied files, an import left to the package's `imports` map).
 *
 * @example
 * export default library({ entry: ['src/index.ts', 'src/node.ts'], platform: 'node' });
 */
export function library(
  options: Pick<UserConfig, 'entry' | 'platform' | 'copy'> & { neverBundle?: string[] },
): UserConfig {
  const { neverBundle, ...own } = options;
  return defineConfig({
    format: 'esm',
    // .js, as `exports` names the files (the packages are "type": "module").
    fixedExtension: false,
    dts: true,
    sourcemap: true,
    deps: { skipNodeModulesBundle: true, ...(neverBundle ? { neverBundle } : {}) },
    checks: { pluginTimings: false },
    ...own,
  });
}
