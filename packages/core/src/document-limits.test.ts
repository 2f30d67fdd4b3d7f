import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadDocument } from './document';
import { documentLimitIssues, MAX_DOCUMENT_DEPTH } from './document-limits';
import { createEngine } from './engine';
import { createMemoryStore } from './store';
import { doc, edge, node, sampleDoc, testRegistry } from './test/fixtures';
import { validateGraph } from './validate';

const registry = testRegistry();

/** A value `levels` containers deep around `leaf`, built without recursion. */
function nested(levels: number, leaf: unknown = 1, array = false): unknown {
  let v: unknown = leaf;
  for (let i = 0; i < levels; i++) v = array ? [v] : { k: v };
  return v;
}

describe('document depth and numbers', () => {
  it('refuses a document 10,000 levels deep in params with document.too-deep and a path, without overflowing', async () => {
    const deep = { ...sampleDoc() };
    deep.nodes = [...deep.nodes];
    deep.nodes[0] = { ...deep.nodes[0]!, params: { value: nested(10_000) } };
    const v = validateGraph(deep, registry);
    expect(v.ok).toBe(false);
    expect(v.issues).toHaveLength(1);
    expect(v.issues[0]).toMatchObject({ code: 'document.too-deep' });
    expect(v.issues[0]!.path.slice(0, 5)).toEqual(['nodes', 0, 'params', 'value', 'k']);
    expect(v.issues[0]!.path.length).toBe(MAX_DOCUMENT_DEPTH + 1);
    const loaded = loadDocument(deep);
    expect(loaded).toMatchObject({ ok: false, issues: [{ code: 'document.too-deep' }] });
    // The engine refuses it before planning (no hashing of the params, no node started).
    const engine = createEngine({ registry, cache: createMemoryStore() });
    expect(() => engine.run(deep as never)).toThrow(/nested more than 64 levels/);
  });

  it('refuses NaN and ±Infinity anywhere, in params, settings and meta, each with its path', () => {
    const d = doc(
      [node('a', 'test.number', { value: Number.NaN })],
      [edge('e', 'a', 'b', { scale: Infinity })],
    );
    const withMeta = { ...d, meta: { zoom: -Infinity } };
    const v = validateGraph(withMeta, registry);
    expect(v.issues.map((i) => [i.code, i.path.join('.')]).sort()).toEqual([
      ['document.not-finite', 'edges.0.settings.scale'],
      ['document.not-finite', 'meta.zoom'],
      ['document.not-finite', 'nodes.0.params.value'],
    ]);
    const loaded = loadDocument(withMeta);
    expect(loaded.ok).toBe(false);
    if (!loaded.ok)
      expect(new Set(loaded.issues.map((i) => i.code))).toEqual(new Set(['document.not-finite']));
  });

  it('does not follow a cycle of in-process objects, and still sees what hangs below it', () => {
    const meta: Record<string, unknown> = { ok: 1 };
    meta.self = meta;
    expect(documentLimitIssues({ ...sampleDoc(), meta })).toEqual([]);
    meta.bad = Number.NaN;
    expect(documentLimitIssues({ ...sampleDoc(), meta }).map((i) => i.path.join('.'))).toEqual(['meta.bad']);
  });

  it('refuses any JSON value nested deeper than the limit, wherever it sits, and never throws', () => {
    const where = fc.constantFrom('meta', 'params', 'settings');
    fc.assert(
      fc.property(
        where,
        fc.integer({ min: MAX_DOCUMENT_DEPTH, max: 3 * MAX_DOCUMENT_DEPTH }),
        fc.boolean(),
        fc.jsonValue({ maxDepth: 2 }),
        (at, levels, array, leaf) => {
          const value = nested(levels, leaf, array);
          const base = sampleDoc();
          const d =
            at === 'meta'
              ? { ...base, meta: { deep: value } }
              : at === 'params'
                ? { ...base, nodes: [{ ...base.nodes[0]!, params: { deep: value } }, ...base.nodes.slice(1)] }
                : {
                    ...base,
                    edges: [{ ...base.edges[0]!, settings: { deep: value } }, ...base.edges.slice(1)],
                  };
          const issues = documentLimitIssues(d);
          expect(issues.map((i) => i.code)).toContain('document.too-deep');
          expect(validateGraph(d, registry).issues[0]?.code).toBe('document.too-deep');
        },
      ),
      { numRuns: 100 },
    );
    fc.assert(
      fc.property(fc.anything(), (v) => {
        expect(() => documentLimitIssues(v)).not.toThrow();
      }),
    );
  });

  it('lets a document exactly at the limit through', () => {
    // A node's params object is level 3, its "deep" value level 4: 61 more containers end at level 64.
    const base = sampleDoc();
    const d = {
      ...base,
      nodes: [{ ...base.nodes[0]!, params: { deep: nested(61) } }, ...base.nodes.slice(1)],
    };
    expect(documentLimitIssues(d)).toEqual([]);
    const over = {
      ...base,
      nodes: [{ ...base.nodes[0]!, params: { deep: nested(62) } }, ...base.nodes.slice(1)],
    };
    expect(documentLimitIssues(over).map((i) => i.code)).toEqual(['document.too-deep']);
  });
});
