import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyChanges, applyDocumentPatches, type GraphChange } from './changes';
import type { GraphDocument } from './document';
import { edge, node, sampleDoc } from './test/fixtures';

function ok(doc: GraphDocument, changes: unknown[]) {
  const r = applyChanges(doc, changes);
  if (!r.ok) throw new Error(r.issues.map((i) => i.message).join('; '));
  return r.value;
}

describe('applyChanges', () => {
  it('adds, moves, relabels and removes nodes, taking their edges along', () => {
    const start = sampleDoc();
    const r = ok(start, [
      { type: 'node.add', node: node('c', 'example.number', { value: 9 }) },
      { type: 'node.move', id: 'c', position: { x: 10, y: 20 } },
      { type: 'node.update', id: 'c', label: 'Nine' },
      { type: 'node.remove', id: 'sum' },
    ]);
    expect(r.doc.nodes.map((n) => n.id)).toEqual(['a', 'b', 'text', 'c']);
    expect(r.doc.nodes[3]).toEqual({
      id: 'c',
      type: 'example.number',
      params: { value: 9 },
      position: { x: 10, y: 20 },
      label: 'Nine',
    });
    expect(r.doc.edges).toEqual([]);
    expect(start.nodes).toHaveLength(4);
  });

  it('sets and patches params and per-connection settings', () => {
    const r = ok(sampleDoc(), [
      { type: 'params.patch', id: 'text', values: { template: '= {}' } },
      { type: 'params.set', id: 'a', params: { value: 7 } },
      { type: 'params.patch', id: 'text', values: {}, unset: ['template'] },
      { type: 'edge.settings', id: 'e2', settings: { weight: 0.5 } },
      { type: 'edge.settings', id: 'e1', settings: null },
    ]);
    expect(r.doc.nodes[0]?.params).toEqual({ value: 7 });
    expect(r.doc.nodes[3]?.params).toEqual({});
    expect(r.doc.edges[1]?.settings).toEqual({ weight: 0.5 });
    expect(r.doc.edges[0]).not.toHaveProperty('settings');
  });

  it('reorders the connections of one input in place', () => {
    const d = sampleDoc();
    d.edges.push(edge('e4', 'a.value', 'sum.terms'));
    const r = ok(d, [{ type: 'input.reorder', node: 'sum', port: 'terms', order: ['e4', 'e1', 'e2'] }]);
    expect(r.doc.edges.map((e) => e.id)).toEqual(['e4', 'e1', 'e3', 'e2']);
  });

  it('undoes and redoes with the patches immer gives', () => {
    const start = sampleDoc();
    const r = ok(start, [
      { type: 'edge.remove', id: 'e3' },
      { type: 'edge.add', edge: edge('e9', 'a.value', 'text.value'), index: 0 },
      { type: 'document.update', name: 'renamed', meta: { owner: 'me' } },
    ]);
    expect(applyDocumentPatches(r.doc, r.inversePatches)).toEqual(start);
    expect(applyDocumentPatches(start, r.patches)).toEqual(r.doc);
  });

  it('keeps unchanged nodes as the same frozen objects', () => {
    const first = ok(sampleDoc(), []).doc;
    const second = ok(first, [{ type: 'params.patch', id: 'a', values: { value: 4 } }]).doc;
    expect(second.nodes[1]).toBe(first.nodes[1]);
    expect(second.nodes[0]).not.toBe(first.nodes[0]);
    expect(Object.isFrozen(second.nodes[0])).toBe(true);
  });

  it('applies all changes or none, naming each problem', () => {
    const start = sampleDoc();
    const r = applyChanges(start, [
      { type: 'node.move', id: 'a', position: { x: 1, y: 1 } },
      { type: 'node.remove', id: 'ghost' },
      { type: 'edge.add', edge: edge('e1', 'a.value', 'sum.terms') },
      { type: 'input.reorder', node: 'sum', port: 'terms', order: ['e1'] },
    ]);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.issues.map((i) => [i.path, i.code])).toEqual([
        [['changes', 1], 'change.unknown-node'],
        [['changes', 2], 'change.duplicate-id'],
        [['changes', 3], 'change.reorder-mismatch'],
      ]);
    }
    expect(start.nodes[0]).not.toHaveProperty('position');
  });

  it('refuses malformed changes with a path, and never throws on random input', () => {
    const r = applyChanges(sampleDoc(), [{ type: 'node.move', id: 'a', position: { x: 'left', y: 0 } }]);
    expect(r).toMatchObject({
      ok: false,
      issues: [{ path: ['changes', 0, 'position', 'x'], code: 'change.invalid' }],
    });
    fc.assert(
      fc.property(fc.array(fc.jsonValue(), { maxLength: 5 }), (changes) => {
        expect(typeof applyChanges(sampleDoc(), changes).ok).toBe('boolean');
      }),
    );
  });

  it('round-trips random valid edits through their inverse patches', () => {
    const ids = ['a', 'b', 'sum', 'text', 'new'];
    const change: fc.Arbitrary<GraphChange> = fc.oneof(
      fc.record({
        type: fc.constant('node.move' as const),
        id: fc.constantFrom(...ids),
        position: fc.record({ x: fc.integer(), y: fc.integer() }),
      }),
      fc.record({ type: fc.constant('node.remove' as const), id: fc.constantFrom(...ids) }),
      fc.record({
        type: fc.constant('params.patch' as const),
        id: fc.constantFrom(...ids),
        values: fc.dictionary(fc.string(), fc.jsonValue()),
      }),
      fc.record({ type: fc.constant('edge.remove' as const), id: fc.constantFrom('e1', 'e2', 'e3') }),
    );
    fc.assert(
      fc.property(fc.array(change, { maxLength: 4 }), (changes) => {
        const start = sampleDoc();
        const r = applyChanges(start, changes);
        if (r.ok) expect(applyDocumentPatches(r.value.doc, r.value.inversePatches)).toEqual(start);
      }),
    );
  });

  it('replaces a whole document as one undoable change', () => {
    const start = sampleDoc();
    const next = {
      ...sampleDoc(),
      name: 'imported',
      nodes: [node('z', 'example.number', { value: 0 })],
      edges: [],
    };
    const r = ok(start, [{ type: 'document.replace', document: next }]);
    expect(r.doc).toEqual(next);
    expect(applyDocumentPatches(r.doc, r.inversePatches)).toEqual(start);
    expect(applyDocumentPatches(start, r.patches)).toEqual(next);
  });

  it('makes no patch for a move to where the node already is', () => {
    const first = ok(sampleDoc(), [{ type: 'node.move', id: 'a', position: { x: 3, y: 4 } }]).doc;
    expect(ok(first, [{ type: 'node.move', id: 'a', position: { x: 3, y: 4 } }]).patches).toEqual([]);
  });

  it('gives the same document for changes applied in one call or one at a time', () => {
    const ids = ['a', 'b', 'sum', 'text', 'n1', 'n2'];
    const edgeIds = ['e1', 'e2', 'e3', 'x1', 'x2'];
    const change: fc.Arbitrary<GraphChange> = fc.oneof(
      fc.record({
        type: fc.constant('node.add' as const),
        node: fc.record({ id: fc.constantFrom('n1', 'n2'), type: fc.constant('example.add') }),
        index: fc.option(fc.nat({ max: 6 }), { nil: undefined }),
      }),
      fc.record({ type: fc.constant('node.remove' as const), id: fc.constantFrom(...ids) }),
      fc.record({
        type: fc.constant('node.move' as const),
        id: fc.constantFrom(...ids),
        position: fc.record({ x: fc.integer({ min: -5, max: 5 }), y: fc.constant(0) }),
      }),
      fc.record({
        type: fc.constant('node.update' as const),
        id: fc.constantFrom(...ids),
        label: fc.string(),
      }),
      fc.record({
        type: fc.constant('params.patch' as const),
        id: fc.constantFrom(...ids),
        values: fc.dictionary(fc.constantFrom('value', 'offset'), fc.integer()),
      }),
      fc.record({
        type: fc.constant('edge.add' as const),
        edge: fc.record({
          id: fc.constantFrom('x1', 'x2'),
          from: fc.record({ node: fc.constantFrom(...ids), port: fc.constant('value') }),
          to: fc.record({ node: fc.constantFrom(...ids), port: fc.constant('terms') }),
        }),
        index: fc.option(fc.nat({ max: 5 }), { nil: undefined }),
      }),
      fc.record({ type: fc.constant('edge.remove' as const), id: fc.constantFrom(...edgeIds) }),
      fc.record({
        type: fc.constant('edge.settings' as const),
        id: fc.constantFrom(...edgeIds),
        settings: fc.option(fc.dictionary(fc.constant('weight'), fc.integer()), { nil: null }),
      }),
      fc.record({
        type: fc.constant('input.reorder' as const),
        node: fc.constant('sum'),
        port: fc.constant('terms'),
        order: fc.shuffledSubarray(['e1', 'e2', 'x1', 'x2']),
      }),
    );
    fc.assert(
      fc.property(fc.array(change, { maxLength: 8 }), (changes) => {
        const start = sampleDoc();
        start.edges.push(edge('x0', 'a.value', 'sum.terms'));
        let stepwise: GraphDocument | undefined = start;
        for (const c of changes) {
          const r = applyChanges(stepwise, [c]);
          stepwise = r.ok ? r.value.doc : undefined;
          if (!stepwise) break;
        }
        const together = applyChanges(start, changes);
        // all or nothing: one call fails exactly when some step fails
        expect(together.ok ? together.value.doc : undefined).toEqual(stepwise);
        if (together.ok)
          expect(applyDocumentPatches(together.value.doc, together.value.inversePatches)).toEqual(start);
      }),
      { numRuns: 400 },
    );
  });
});
