import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// What the repository's checks (scripts/*.test.ts) walk: its packages and their TypeScript files.

/** The repository's root folder. */
export const root = fileURLToPath(new URL('..', import.meta.url));

/** The folders under packages/ that hold a package.json, by name. */
export function packageNames(): string[] {
  return readdirSync(join(root, 'packages')).filter((name) =>
    existsSync(join(root, 'packages', name, 'package.json')),
  );
}

/**
 * The TypeScript files (.ts, .tsx) below `dir`, at any depth and outside node_modules, whose path relative to
 * `dir` passes `keep`; none when `dir` does not exist.
 */
export function typeScriptFiles(dir: string, keep: (path: string) => boolean = () => true): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.tsx?$/.test(f) && !f.split('/').includes('node_modules') && keep(f))
    .map((f) => join(dir, f));
}

/** A package's shipped source files: src/**.ts(x), without tests, declarations and src/test/. */
export function shippedSources(name: string): string[] {
  return typeScriptFiles(
    join(root, 'packages', name, 'src'),
    (f) => !/\.d\.ts$/.test(f) && !/\.test\.tsx?$/.test(f) && !/^test(\/|$)/.test(f),
  );
}
