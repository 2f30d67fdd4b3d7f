import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const workspace = { '@loraflow/core': join(here, '../../core/src/index.ts') } as Record<string, string>;

/** Every bare module specifier reachable from an entry through relative and workspace imports. */
function reachableSpecifiers(entry: string): Set<string> {
  const seen = new Set<string>();
  const bare = new Set<string>();
  const stack = [entry];
  while (stack.length > 0) {
    const file = stack.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    for (const { fileName: spec } of importedFiles) {
      if (spec.startsWith('.')) {
        const base = join(dirname(file), spec);
        const candidates = [`${base}.ts`, join(base, 'index.ts'), base];
        const found = candidates.find((c) => {
          try {
            return readFileSync(c) !== undefined && !c.endsWith('/');
          } catch {
            return false;
          }
        });
        if (found && !found.endsWith('.test.ts')) stack.push(found);
      } else if (workspace[spec]) stack.push(workspace[spec]);
      else bare.add(spec);
    }
  }
  return bare;
}

const nodeBuiltins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
const forbidden = (spec: string) =>
  spec.startsWith('node:') ||
  nodeBuiltins.has(spec.split('/')[0]!) ||
  /^(react|react-dom|@xyflow\/|undici)(\/|$)/.test(spec);

describe('the browser entry', () => {
  it('reaches no Node built-in and no react, @xyflow or undici, through its whole module graph', () => {
    const reached = [...reachableSpecifiers(join(here, 'index.ts'))];
    expect(reached.filter(forbidden)).toEqual([]);
    expect(reached).toEqual(expect.arrayContaining(['hono', 'idb', 'zod', 'eventsource-parser']));
  });

  it('is told apart from the node entry, which does reach node:fs (so the check above can fail)', () => {
    const reached = [...reachableSpecifiers(join(here, 'node.ts'))];
    expect(reached.filter(forbidden)).toContain('node:fs/promises');
  });
});
