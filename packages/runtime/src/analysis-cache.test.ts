import { createRegistry, type GraphDocument } from '@loraflow/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRuntime } from './runtime';
import { createMemoryStore } from './store/memory';
import { graph, testPack } from './test/pack';

const registry = createRegistry(testPack);
const SECRET = 'sk-live-0123456789';

const start = (): GraphDocument =>
  graph(
    [
      { id: 'a', type: 'test.text', params: { text: 'cat' } },
      { id: 'b', type: 'test.text', params: { text: 'dog' } },
      { id: 'join', type: 'test.concat', params: {} },
      { id: 'tail', type: 'test.concat', params: {} },
    ],
    [
      ['a.text', 'join.parts'],
      ['b.text', 'join.parts', { upper: true }],
      ['join.text', 'tail.parts'],
    ],
  );

/** The same document with one node's params replaced, as an editor's immutable update makes it. */
function withParams(doc: GraphDocument, id: string, params: Record<string, unknown>): GraphDocument {
  return { ...doc, nodes: doc.nodes.map((n) => (n.id === id ? { ...n, params } : n)) };
}

/** A value nested `depth` objects deep. */
function nested(depth: number): unknown {
  let v: unknown = 'x';
  for (let i = 0; i < depth; i++) v = { v };
  return v;
}

describe('runtime estimate after an edit (the keystroke path)', () => {
  it('says of each node whether it will run and why, with no explain call', async () => {
    const runtime = createRuntime({ registry });
    const doc = start();
    await (await runtime.run(doc)).result;
    const estimate = await runtime.estimate(withParams(doc, 'b', { text: 'owl' }));
    const byId = new Map(estimate.nodes.map((n) => [n.nodeId, n]));
    expect(byId.get('a')).toMatchObject({ type: 'test.text', willRun: false, reason: { code: 'cache.hit' } });
    expect(byId.get('b')).toMatchObject({
      willRun: true,
      reason: { code: 'params.changed', params: ['text'] },
    });
    expect(byId.get('join')).toMatchObject({
      willRun: true,
      reason: { code: 'inputs.changed', inputs: ['b'] },
    });
    expect(byId.get('tail')).toMatchObject({ willRun: true, reason: { code: 'inputs.changed' } });
    expect(estimate).toMatchObject({ willRun: 3, fromCache: 1 });
    // the same entries explain gives
    expect(estimate.nodes.map(({ type: _, ...entry }) => entry)).toEqual(
      await runtime.explain(withParams(doc, 'b', { text: 'owl' })),
    );
  });

  it('fully validates a changed document after an unchanged one was admitted', async () => {
    const runtime = createRuntime({ registry, secrets: [SECRET] });
    const doc = start();
    await runtime.estimate(doc);
    await runtime.estimate(doc);
    const notFinite = withParams(doc, 'a', { text: 'cat', weight: Number.NaN });
    await expect(runtime.estimate(notFinite)).rejects.toMatchObject({
      code: 'graph.invalid',
      issues: [{ code: 'document.not-finite', path: ['nodes', 0, 'params', 'weight'] }],
    });
    await expect(
      runtime.estimate(withParams(doc, 'a', { text: 'cat', deep: nested(80) })),
    ).rejects.toMatchObject({ code: 'graph.invalid', issues: [{ code: 'document.too-deep' }] });
    await expect(runtime.explain(withParams(doc, 'b', { text: `a ${SECRET}` }))).rejects.toMatchObject({
      code: 'graph.contains-secret',
    });
    // changed in place inside params the runtime admitted before: the engine's re-check refuses it
    (doc.nodes[1]!.params as Record<string, unknown>).extra = Number.POSITIVE_INFINITY;
    await expect(runtime.estimate(doc)).rejects.toMatchObject({
      code: 'graph.invalid',
      issues: [{ code: 'document.not-finite', path: ['nodes', 1, 'params', 'extra'] }],
    });
    delete (doc.nodes[1]!.params as Record<string, unknown>).extra;
    // a position moved in place to a value that is not a number
    doc.nodes[0]!.position = { x: 0, y: 0 };
    await runtime.estimate(doc);
    doc.nodes[0]!.position.x = Number.NaN;
    await expect(runtime.estimate(doc)).rejects.toMatchObject({
      code: 'graph.invalid',
      issues: [{ code: 'document.not-finite', path: ['nodes', 0, 'position', 'x'] }],
    });
  });

  it('answers every edit, immutable or in place, as a runtime that never saw the earlier ones', async () => {
    type Edit = (doc: GraphDocument) => GraphDocument;
    const text = fc.constantFrom('cat', 'dog', 'owl');
    const edit: fc.Arbitrary<Edit> = fc.oneof(
      fc.tuple(fc.constantFrom('a', 'b'), text).map(
        ([id, t]): Edit =>
          (doc) =>
            withParams(doc, id, { text: t }),
      ),
      fc.tuple(fc.constantFrom('a', 'b'), text).map(
        ([id, t]): Edit =>
          (doc) => {
            (doc.nodes.find((n) => n.id === id)!.params as Record<string, unknown>).text = t;
            return doc;
          },
      ),
      fc.constantFrom('join', 'tail').map(
        (id): Edit =>
          (doc) =>
            withParams(doc, id, { separator: '-' }),
      ),
      fc.boolean().map(
        (upper): Edit =>
          (doc) => {
            doc.edges[1]!.settings = { upper };
            return doc;
          },
      ),
      fc.boolean().map(
        (upper): Edit =>
          (doc) => ({
            ...doc,
            edges: doc.edges.map((e, i) => (i === 1 ? { ...e, settings: { upper } } : e)),
          }),
      ),
      fc.constant<Edit>((doc) => ({ ...doc, edges: doc.edges.filter((e) => e.id !== 'e0') })),
      fc.constant<Edit>((doc) => {
        doc.edges[0]!.from.node = doc.edges[0]!.from.node === 'a' ? 'b' : 'a';
        return doc;
      }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(edit, { minLength: 1, maxLength: 6 }), async (edits) => {
        const store = createMemoryStore();
        const runtime = createRuntime({ registry, store });
        let doc = start();
        await (await runtime.run(doc)).result;
        for (const e of edits) {
          doc = e(doc);
          const got = await runtime.estimate(doc);
          // a fresh runtime over the same cache: nothing kept from earlier documents
          const fresh = await createRuntime({ registry, store }).estimate(structuredClone(doc));
          expect(got.nodes.map((n) => [n.nodeId, n.key, n.willRun])).toEqual(
            fresh.nodes.map((n) => [n.nodeId, n.key, n.willRun]),
          );
        }
      }),
      { numRuns: 60 },
    );
  });
});
