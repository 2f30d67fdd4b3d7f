import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createDocumentAdmission } from './admission';
import { type GraphDocument, loadDocument } from './document';
import { createEngine } from './engine';
import { GraphError } from './errors';
import { editableDoc, testRegistry } from './test/fixtures';

// a fixture with params, settings and a node without params
const base = editableDoc;

/** A value nested `depth` objects deep. */
function nested(depth: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = { v };
  return v;
}

const value = fc.oneof(
  fc.integer({ min: -3, max: 3 }),
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, 'text', null),
  fc.constantFrom(40, 70).map(nested),
);

type Edit = (doc: GraphDocument) => GraphDocument;

// Edits as an editor makes them (new objects where something changed), and in-place changes of a node's or
// edge's own fields (a key added, a nested object replaced, a position moved in place).
const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.tuple(fc.nat(2), value).map(
    ([i, v]): Edit =>
      (doc) => ({
        ...doc,
        nodes: doc.nodes.map((n, j) => (j === i % doc.nodes.length ? { ...n, params: { value: v } } : n)),
      }),
  ),
  fc.tuple(fc.nat(2), value).map(
    ([i, v]): Edit =>
      (doc) => {
        const node = doc.nodes[i % doc.nodes.length]! as unknown as Record<string, unknown>;
        node.params = { value: 1, extra: v };
        return doc;
      },
  ),
  fc.tuple(fc.nat(2), value).map(
    ([i, v]): Edit =>
      (doc) => {
        (doc.nodes[i % doc.nodes.length]! as unknown as Record<string, unknown>).extra = v;
        return doc;
      },
  ),
  fc.tuple(fc.nat(2), value).map(
    ([i, v]): Edit =>
      (doc) => {
        const node = doc.nodes[i % doc.nodes.length]!;
        if (node.position) (node.position as Record<string, unknown>).x = v;
        else node.position = { x: v as number, y: 0 };
        return doc;
      },
  ),
  fc.tuple(fc.nat(1), value).map(
    ([i, v]): Edit =>
      (doc) => ({
        ...doc,
        edges: doc.edges.map((e, j) => (j === i % doc.edges.length ? { ...e, settings: { weight: v } } : e)),
      }),
  ),
  fc.tuple(fc.nat(1), value).map(
    ([i, v]): Edit =>
      (doc) => {
        (doc.edges[i % doc.edges.length]! as unknown as Record<string, unknown>).settings = { weight: v };
        return doc;
      },
  ),
  fc
    .tuple(
      fc.nat(2),
      fc.constantFrom<[string, unknown]>(['id', ''], ['id', 'z'], ['label', 5], ['label', 'L']),
    )
    .map(
      ([i, [field, v]]): Edit =>
        (doc) => {
          (doc.nodes[i % doc.nodes.length]! as unknown as Record<string, unknown>)[field] = v;
          return doc;
        },
    ),
  // an edge's ends changed in place (an id emptied, a key added), and shapes JSON can make that are not a
  // node's: an own "__proto__" key, params or settings turned into an array
  fc
    .tuple(
      fc.nat(1),
      fc.constantFrom<[string, unknown]>(['node', ''], ['port', ''], ['port', 'p'], ['extra', 1]),
    )
    .map(
      ([i, [field, v]]): Edit =>
        (doc) => {
          (doc.edges[i % doc.edges.length]!.from as unknown as Record<string, unknown>)[field] = v;
          return doc;
        },
    ),
  fc.nat(2).map(
    (i): Edit =>
      (doc) => {
        const node = doc.nodes[i % doc.nodes.length]!;
        Object.defineProperty(node, '__proto__', {
          value: {},
          enumerable: true,
          writable: true,
          configurable: true,
        });
        return doc;
      },
  ),
  fc.nat(2).map(
    (i): Edit =>
      (doc) => {
        (doc.nodes[i % doc.nodes.length]! as unknown as Record<string, unknown>).params = [1];
        (doc.edges[i % doc.edges.length]! as unknown as Record<string, unknown>).settings = [];
        return doc;
      },
  ),
  value.map(
    (v): Edit =>
      (doc) => ({ ...doc, meta: { v } }),
  ),
  fc.constant<Edit>((doc) => ({ ...doc, nodes: [...doc.nodes, { id: 'c', type: 'example.number' }] })),
  fc.constant<Edit>((doc) => ({ ...doc, nodes: doc.nodes.slice(1) })),
);

describe('createDocumentAdmission', () => {
  it("gives loadDocument's verdict, issues and the input itself, edit after edit", () => {
    let refusedSeen = 0;
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 8 }), (edits) => {
        const admit = createDocumentAdmission();
        let doc = base();
        expect(admit(doc)).toEqual({ ok: true, value: doc });
        for (const e of edits) {
          doc = e(doc);
          const expected = loadDocument(doc, { keepIdentity: true });
          const got = admit(doc);
          expect(got).toEqual(expected);
          // the input itself exactly when loadDocument would keep it (a stripped copy otherwise)
          expect(got.ok && got.value === doc).toBe(expected.ok && expected.value === doc);
          if (!got.ok) refusedSeen++;
        }
      }),
      { numRuns: 300 },
    );
    // both verdicts were met, or the property proved little
    expect(refusedSeen).toBeGreaterThan(30);
  });

  it('walks again a node whose params object was replaced, and refuses what it now holds', () => {
    const admit = createDocumentAdmission();
    const doc = base();
    expect(admit(doc).ok).toBe(true);
    doc.nodes[1]!.params = { value: 2, deep: nested(70) };
    expect(admit(doc)).toMatchObject({ ok: false, issues: [{ code: 'document.too-deep' }] });
    doc.nodes[1]!.params = { value: 2, not: Number.NaN };
    expect(admit(doc)).toMatchObject({
      ok: false,
      issues: [{ code: 'document.not-finite', path: ['nodes', 1, 'params', 'not'] }],
    });
  });

  it("asks the caller's check about each new part, and refuses as the whole document would be", () => {
    const seen: unknown[] = [];
    const admit = createDocumentAdmission({
      refuses: (v) => {
        seen.push(v);
        return JSON.stringify(v).includes('sk-secret');
      },
    });
    const doc = base();
    expect(admit(doc).ok).toBe(true);
    seen.length = 0;
    const node = { id: 'a', type: 'example.number', params: { value: 5 } };
    const edited = { ...doc, nodes: [node, ...doc.nodes.slice(1)] };
    expect(admit(edited).ok).toBe(true);
    // only the new node was asked about: the others were admitted before
    expect(seen).toEqual([node]);
    const leaked = { ...doc, nodes: [{ ...node, label: 'sk-secret-123' }, ...doc.nodes.slice(1)] };
    expect(admit(leaked)).toEqual({ ok: false, issues: [], refused: true });
  });
});

describe('the engine behind an admission', () => {
  it('refuses a value changed in place inside params the admission remembers', async () => {
    const admit = createDocumentAdmission();
    const engine = createEngine({ registry: testRegistry() });
    const doc = base();
    expect(admit(doc).ok).toBe(true);
    await engine.explain(doc);
    // params are the engine's to re-check: the admission sees the same objects and lets them through
    (doc.nodes[0]!.params as Record<string, unknown>).extra = Number.NaN;
    expect(admit(doc).ok).toBe(true);
    const refusal = await engine.explain(doc).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(GraphError);
    expect((refusal as GraphError).issues).toMatchObject([
      { code: 'document.not-finite', path: ['nodes', 0, 'params', 'extra'] },
    ]);
    (doc.nodes[0]!.params as Record<string, unknown>).extra = nested(70);
    await expect(engine.explain(doc)).rejects.toMatchObject({ issues: [{ code: 'document.too-deep' }] });
  });

  it('refuses a too-deep value changed in place when the document was analysed incrementally before', async () => {
    const engine = createEngine({ registry: testRegistry() });
    let doc = base();
    await engine.explain(doc);
    // one keystroke: the incremental re-check of one node (patchAnalysis) sees the new params
    doc = { ...doc, nodes: doc.nodes.map((n, i) => (i === 0 ? { ...n, params: { value: 3 } } : n)) };
    await engine.explain(doc);
    (doc.nodes[0]!.params as Record<string, unknown>).deep = nested(70);
    await expect(engine.explain(doc)).rejects.toMatchObject({ issues: [{ code: 'document.too-deep' }] });
  });
});
