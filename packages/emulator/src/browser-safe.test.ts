import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const IMPORT = /(?:import|export)\s+(?:type\s+)?(?:[^'"]*?\s+from\s+)?['"]([^'"]+)['"]/g;

/** Every module specifier reachable from `entry` through relative imports (type-only ones included). */
function reachable(entry: URL): { files: string[]; packages: Set<string> } {
  const files: string[] = [];
  const packages = new Set<string>();
  const queue = [entry];
  const seen = new Set<string>();
  while (queue.length > 0) {
    const file = queue.shift() as URL;
    if (seen.has(file.href)) continue;
    seen.add(file.href);
    files.push(file.pathname.slice(file.pathname.lastIndexOf('/src/') + 5));
    for (const match of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      const spec = match[1] as string;
      if (spec.startsWith('.')) queue.push(new URL(`${spec}.ts`, file));
      else packages.add(spec);
    }
  }
  return { files, packages };
}

describe('the main entry', () => {
  it('reaches no node: module and no @hono/node-server, so it runs in a browser', () => {
    const { files, packages } = reachable(new URL('./index.ts', import.meta.url));
    expect(files).toContain('emulator.ts');
    expect(files).not.toContain('node.ts');
    expect([...packages].filter((p) => p.startsWith('node:') || p.startsWith('@hono/node-server'))).toEqual(
      [],
    );
    expect([...packages].sort()).toEqual(['fast-png', 'hono', 'zod']);
  });

  it('is matched by a ./node subpath that serves it over HTTP', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    expect(pkg.exports['./node'].source).toBe('./src/node.ts');
    expect(pkg.sideEffects).toBe(false);
    expect(reachable(new URL('./node.ts', import.meta.url)).packages).toContain('@hono/node-server');
  });
});
