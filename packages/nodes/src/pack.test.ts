import { readdirSync, readFileSync } from 'node:fs';
import { type AnySchema, createEngine, createRegistry } from '@loraflow/core';
import { describe, expect, it } from 'vitest';
import { z } from 'zod/mini';
import { loraPack } from './pack';

const root = new URL('../../../', import.meta.url);
const srcDir = new URL('./', import.meta.url);

function sourceFiles(dir: URL): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.isDirectory())
      return entry.name === 'test'
        ? []
        : sourceFiles(new URL(`${entry.name}/`, dir)).map((f) => `${entry.name}/${f}`);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [entry.name] : [];
  });
}

describe('the pack', () => {
  it('stays browser-safe: no node: imports outside tests', () => {
    const files = sourceFiles(srcDir);
    expect(files.length).toBeGreaterThan(10);
    for (const file of files) {
      const text = readFileSync(new URL(file, srcDir), 'utf8');
      expect(text, file).not.toMatch(/from ['"]node:/);
    }
  });

  it('declares every node with a version, a title, a description and an example', () => {
    for (const def of loraPack.nodes) {
      expect(def.version).toBeGreaterThanOrEqual(1);
      expect(def.title, def.type).toBeTruthy();
      expect(def.description?.endsWith('.'), def.type).toBe(true);
    }
    expect(new Set(loraPack.nodes.map((d) => d.type)).size).toBe(loraPack.nodes.length);
  });

  it('publishes every params and settings schema as JSON Schema (the catalogue and `loraflow schema` need it)', () => {
    for (const def of loraPack.nodes) {
      const schema = z.toJSONSchema(def.params, { io: 'input' }) as { type?: string };
      expect(schema.type, def.type).toBe('object');
      for (const spec of Object.values(def.inputs ?? {}) as Array<{ settings?: AnySchema }>) {
        if (spec.settings)
          expect(z.toJSONSchema(spec.settings, { io: 'input' })).toMatchObject({ type: 'object' });
      }
    }
  });

  it('validates every example graph of the repository', () => {
    const engine = createEngine({ registry: createRegistry(loraPack) });
    const dir = new URL('examples/', root);
    const examples = readdirSync(dir).filter((f) => f.endsWith('.json'));
    expect(examples.length).toBeGreaterThan(0);
    for (const file of examples) {
      const doc: unknown = JSON.parse(readFileSync(new URL(file, dir), 'utf8'));
      expect(engine.validate(doc), file).toEqual({ ok: true, issues: [] });
    }
  });
});
