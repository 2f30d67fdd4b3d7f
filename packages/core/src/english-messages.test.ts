// This file's module graph must never load classic `zod` (which installs English globally at import):
// it proves core's refusals are sentences on a page that ships only zod/mini.
import { describe, expect, it } from 'vitest';
import { z } from 'zod/mini';
import { applyChanges } from './changes';
import { loadDocument } from './document';
import { createEngine } from './engine';
import { examplePack } from './example-pack';
import { createRegistry } from './node';
import { doc, edge, node, sampleDoc } from './test/fixtures';
import { BUILTIN_TYPES, checkPortValue, createTypeRegistry, t } from './types';
import { validateGraph } from './validate';

const registry = createRegistry(examplePack);
const messages = (issues: readonly { message: string }[]) => issues.map((i) => i.message);

describe('core refusals without classic zod on the page', () => {
  it('runs with no zod locale installed, so every sentence below comes from core', () => {
    expect(z.config().localeError).toBeUndefined();
    expect(z.config().customError).toBeUndefined();
  });

  it('explains a malformed document in English', () => {
    const r = loadDocument({ format: 'loraflow.graph', version: 1, nodes: [{ id: '', type: 7 }], edges: [] });
    expect(r.ok).toBe(false);
    expect(r.ok ? [] : messages(r.issues)).toEqual([
      '"nodes.0.id": an id cannot be empty.',
      '"nodes.0.type": Invalid input: expected string, received number.',
    ]);
  });

  it('explains wrong params and wrong connection settings in English', () => {
    const bad = doc(
      [node('a', 'example.number', { value: 'two' }), node('sum', 'example.add')],
      [edge('e1', 'a.value', 'sum.terms', { weight: 'heavy' })],
    );
    const found = messages(validateGraph(bad, registry).issues).join('\n');
    expect(found).toContain('expected number, received string');
    expect(found).not.toMatch(/^Invalid input$/m);
  });

  it('explains a malformed change and a misused option in English', () => {
    const r = applyChanges(sampleDoc(), [{ type: 'node.move', id: 'a', position: { x: 'left' } }]);
    expect(r.ok ? [] : messages(r.issues)).toEqual([
      '"changes.0.position.x": Invalid input: expected number, received string.',
      '"changes.0.position.y": Invalid input: expected number, received undefined.',
    ]);
    expect(() => createEngine({ registry, concurrency: 0 })).toThrow(
      'createEngine: "concurrency": Too small: expected number to be >=1.',
    );
  });

  it('says what refresh may be, not a bare "Invalid input", when a run is asked to refresh something else', () => {
    const engine = createEngine({ registry });
    expect(() => engine.run(sampleDoc(), { refresh: 5 as unknown as 'all' })).toThrow(
      'engine.run: "refresh": expected "all" or a list of node ids.',
    );
  });

  it('explains a port value of the wrong type in English', () => {
    const types = createTypeRegistry(BUILTIN_TYPES);
    expect(checkPortValue(t.list(t.number()), [1, 'x'], types)).toBe(
      'Invalid input: expected number, received string at 1',
    );
  });

  it("leaves a host's own error map first and zod's global config untouched", () => {
    const before = { ...z.config() };
    z.config({ customError: (issue) => (issue.code === 'too_small' ? 'trop petit' : undefined) });
    try {
      expect(() => createEngine({ registry, concurrency: 0 })).toThrow(
        'createEngine: "concurrency": trop petit.',
      );
      const r = loadDocument({ format: 'loraflow.graph', version: 1, nodes: 'none', edges: [] });
      expect(r.ok ? [] : messages(r.issues)).toEqual([
        '"nodes": Invalid input: expected array, received string.',
      ]);
    } finally {
      z.config({ customError: before.customError });
    }
    expect(z.config().localeError).toBeUndefined();
  });
});
