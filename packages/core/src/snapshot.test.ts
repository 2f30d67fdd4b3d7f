import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod/mini';
import type { GraphDocument } from './document';
import { createEngine } from './engine';
import { sameJson } from './engine/doc-snapshot';
import { examplePack } from './example-pack';
import { createRegistry, defineNode, definePack } from './node';
import { doc, edge, editableDoc, expectSameAsFresh, node, testRegistry } from './test/fixtures';
import { t } from './types';

type Edit = (d: GraphDocument) => void;
const at = (d: GraphDocument, id: string) => d.nodes.find((n) => n.id === id);
const edgeAt = (d: GraphDocument, id: string) => d.edges.find((e) => e.id === id);

// In-place edits a headless caller might make between validate, plan and run: each must be seen.
const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc
    .record({ id: fc.constantFrom('a', 'b'), v: fc.oneof(fc.integer({ min: -3, max: 3 }), fc.constant('x')) })
    .map(({ id, v }) => (d: GraphDocument) => {
      const n = at(d, id);
      if (n?.params) n.params.value = v;
    }),
  fc
    .record({ id: fc.constantFrom('a', 'b', 'sum'), v: fc.integer({ min: 0, max: 3 }) })
    .map(({ id, v }) => (d: GraphDocument) => {
      const i = d.nodes.findIndex((n) => n.id === id);
      if (i >= 0) d.nodes[i] = { ...d.nodes[i]!, params: id === 'sum' ? { offset: v } : { value: v } };
    }),
  fc.integer({ min: 0, max: 3 }).map((w) => (d: GraphDocument) => {
    const e = edgeAt(d, 'e2');
    if (e?.settings) e.settings.weight = w;
    else if (e) e.settings = { weight: w };
  }),
  fc.constantFrom('a', 'b', 'nowhere').map((from) => (d: GraphDocument) => {
    const e = edgeAt(d, 'e1');
    if (e) e.from.node = from;
  }),
  fc.constantFrom('terms', 'value', 'values').map((port) => (d: GraphDocument) => {
    const e = edgeAt(d, 'e4');
    if (e) e.to.port = port;
  }),
  fc.constantFrom('e1', 'e4', 'e9').map((id) => (d: GraphDocument) => {
    const e = d.edges[3];
    if (e) e.id = id;
  }),
  fc.oneof(fc.constant(Number.NaN), fc.integer()).map((x) => (d: GraphDocument) => {
    const n = at(d, 'text');
    if (n) n.position = { x, y: 0 };
  }),
  fc.constantFrom('example.format', 'example.number', 'nope').map((type) => (d: GraphDocument) => {
    const n = d.nodes[5];
    if (n) n.type = type;
  }),
  fc.constantFrom('b', 'c').map((id) => (d: GraphDocument) => {
    const n = d.nodes[0];
    if (n) n.id = id;
  }),
  fc.constant((d: GraphDocument) => {
    d.edges.push({
      id: `x${d.edges.length}`,
      from: { node: 'a', port: 'value' },
      to: { node: 'pick', port: 'values' },
    });
  }),
  fc.constant((d: GraphDocument) => {
    d.edges.pop();
  }),
  fc.constant((d: GraphDocument) => {
    const n = at(d, 'text');
    if (n) delete n.params;
  }),
  fc.constantFrom('number', 'string').map((kind) => (d: GraphDocument) => {
    const n = at(d, 'pick');
    if (n) n.params = { kind };
  }),
  fc.constantFrom('x', 'y', 3).map((name) => (d: GraphDocument) => {
    (d as { name?: unknown }).name = name;
  }),
  fc.constantFrom('loraflow.graph', 'other').map((format) => (d: GraphDocument) => {
    (d as { format: unknown }).format = format;
  }),
  fc.constant((d: GraphDocument) => {
    const n = at(d, 'a');
    if (n?.params) n.params.extra = { deep: [1, 2] };
  }),
);

describe('a mutable document kept between calls', () => {
  it('gives the same issues, plan, keys and outputs as a fresh engine after any in-place edit', async () => {
    const registry = testRegistry();
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(edit, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 6 }),
        async (batches) => {
          const engine = createEngine({ registry });
          const current = editableDoc();
          engine.validate(current);
          await engine.run(current).result;
          for (const batch of batches) {
            for (const e of batch) e(current);
            await expectSameAsFresh(engine, current, registry);
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('is checked again only where it changed: an unchanged document parses no params', () => {
    let parses = 0;
    const counted = defineNode({
      type: 'test.counted',
      version: 1,
      params: z.object({ v: z.number() }).check(
        z.refine(() => {
          parses++;
          return true;
        }),
      ),
      inputs: { in: { type: t.number(), optional: true } },
      outputs: { out: { type: t.number() } },
      async run(ctx) {
        return { out: ctx.params.v };
      },
    });
    const registry = createRegistry(examplePack, definePack({ name: 'counted', nodes: [counted] }));
    const engine = createEngine({ registry });
    const d = doc(
      [node('p', 'test.counted', { v: 1 }), node('q', 'test.counted', { v: 2 })],
      [edge('e', 'p.out', 'q.in')],
    );
    expect(engine.validate(d).ok).toBe(true);
    expect(parses).toBe(2);
    engine.plan(d);
    engine.validate(d);
    expect(parses).toBe(2);
    d.nodes[1]!.params!.v = 3;
    expect(engine.plan(d).steps[1]).toBeDefined();
    // only the edited node is parsed again
    expect(parses).toBe(3);
    d.nodes[1]!.params!.v = 'no';
    expect(engine.validate(d).issues).toEqual([
      expect.objectContaining({ code: 'params.invalid', path: ['nodes', 1, 'params', 'v'], nodeId: 'q' }),
    ]);
  });

  it('follows a document whose nodes or edges list was replaced as a whole', async () => {
    const registry = testRegistry();
    const engine = createEngine({ registry });
    const d = editableDoc();
    await engine.run(d).result;
    d.edges = d.edges.filter((e) => e.id !== 'e2');
    const after = await engine.run(d).result;
    expect(after.nodes.text?.outputs).toEqual({ text: '= 1' });
  });
});

describe('a document the snapshot cannot copy', () => {
  it('is validated and run without throwing, and analysed afresh each time', async () => {
    const registry = testRegistry();
    const engine = createEngine({ registry });
    // zod strips the unknown key, so the document is valid; a copy of its raw params never ends
    const params: Record<string, unknown> = { value: 1 };
    params.self = params;
    const d = doc([node('a', 'example.number', params)]);
    expect(engine.validate(d)).toEqual({ ok: true, issues: [] });
    expect(engine.validate(d)).toEqual({ ok: true, issues: [] });
    expect((await engine.run(d).result).nodes.a?.outputs).toEqual({ value: 1 });
    params.value = 2;
    expect((await engine.run(d).result).nodes.a?.outputs).toEqual({ value: 2 });
  });

  it('is followed when an edit in place makes kept params contain themselves', async () => {
    const engine = createEngine({ registry: testRegistry() });
    const d = doc([node('a', 'example.number', { value: 1 })]);
    expect(engine.validate(d).ok).toBe(true);
    const params = d.nodes[0]!.params!;
    params.self = params;
    params.value = 3;
    expect(engine.validate(d)).toEqual({ ok: true, issues: [] });
    expect((await engine.run(d).result).nodes.a?.outputs).toEqual({ value: 3 });
  });
});

describe('sameJson', () => {
  it('is equality of JSON values, whatever the key order', () => {
    expect(sameJson({ a: [1, { b: 'x' }], c: null }, { c: null, a: [1, { b: 'x' }] })).toBe(true);
    expect(sameJson({ a: 1 }, { a: 1, b: undefined })).toBe(false);
    expect(sameJson([1, 2], { 0: 1, 1: 2 })).toBe(false);
    expect(sameJson(new Date(0), {})).toBe(false);
    expect(sameJson(Number.NaN, Number.NaN)).toBe(false);
  });

  it('agrees with comparing canonical text, for any JSON values', () => {
    const json = fc.jsonValue();
    fc.assert(
      fc.property(json, json, (a, b) => {
        expect(sameJson(a, b)).toBe(JSON.stringify(sortDeep(a)) === JSON.stringify(sortDeep(b)));
        expect(sameJson(a, structuredClone(a))).toBe(true);
      }),
    );
  });
});

function sortDeep(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortDeep);
  if (v !== null && typeof v === 'object')
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sortDeep((v as Record<string, unknown>)[k])]),
    );
  return v;
}
