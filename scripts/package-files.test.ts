import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { packageNames, root, shippedSources } from './repo-files';

const packagesDir = join(root, 'packages');
const packages = packageNames();

/** What only tests use: test files, helpers under src/test/, fixtures, harnesses, benches, browser pages. */
const TEST_ONLY = [
  /\.test\.[cm]?[jt]sx?$/,
  /(^|\/)test\//,
  /(^|\/)fixtures\//,
  /(^|\/)test-[^/]*$/,
  /harness/,
  /(^|\/)(bench|e2e)\//,
];

/** Every path the `source` condition of `exports` points at: a host resolving with it needs them shipped. */
function sourceFiles(exports: unknown): string[] {
  if (typeof exports !== 'object' || exports === null) return [];
  return Object.entries(exports).flatMap(([key, value]) =>
    key === 'source' && typeof value === 'string' ? [value.replace(/^\.\//, '')] : sourceFiles(value),
  );
}

/** The files `pnpm pack` would put in the package's tarball, as pnpm publish would. */
async function packed(dir: string): Promise<string[]> {
  const { stdout } = await promisify(execFile)('corepack', ['pnpm', 'pack', '--dry-run', '--json'], {
    cwd: dir,
  });
  return (JSON.parse(stdout) as { files: Array<{ path: string }> }).files.map((f) => f.path);
}

describe("every package's tarball", () => {
  it.each(packages)(
    '%s ships no test, test helper or fixture, and every source its exports name',
    async (name) => {
      const dir = join(packagesDir, name);
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { exports?: unknown };
      const files = await packed(dir);
      expect(files.filter((f) => TEST_ONLY.some((pattern) => pattern.test(f)))).toEqual([]);
      expect(files).toEqual(expect.arrayContaining(['package.json', ...sourceFiles(manifest.exports)]));
    },
  );
});

/** The relative specifiers a file imports, re-exports or loads with `import()`. */
function relativeImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) => m[1] ?? '');
}

describe('test-only code under src/test/', () => {
  it.each(packages)('%s: no shipped source imports from src/test/', (name) => {
    const testDir = join(packagesDir, name, 'src', 'test');
    const offending = shippedSources(name).flatMap((file) =>
      relativeImports(file)
        .filter((spec) => !relative(testDir, resolve(dirname(file), spec)).startsWith('..'))
        .map((spec) => `${relative(packagesDir, file)} imports ${spec}`),
    );
    expect(offending).toEqual([]);
  });
});
