import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyChanges, type GraphChange } from './changes';
import { createEngine } from './engine';
import { editableDoc, expectSameAsFresh, testRegistry } from './test/fixtures';

const change: fc.Arbitrary<GraphChange> = fc.oneof(
  fc.record({
    type: fc.constant('params.set' as const),
    id: fc.constantFrom('a', 'b'),
    params: fc.oneof(
      fc.record({ value: fc.integer({ min: -5, max: 5 }) }),
      fc.record({ value: fc.constant('x') }),
    ),
  }),
  fc.record({
    type: fc.constant('params.patch' as const),
    id: fc.constantFrom('sum', 'text'),
    values: fc.oneof(
      fc.record({ offset: fc.integer({ min: 0, max: 3 }) }),
      fc.record({ template: fc.constantFrom('{}', 'v={}') }),
    ),
  }),
  fc.record({
    type: fc.constant('node.move' as const),
    id: fc.constantFrom('a', 'sum', 'pick'),
    position: fc.record({ x: fc.integer(), y: fc.integer() }),
  }),
  fc.record({
    type: fc.constant('params.set' as const),
    id: fc.constant('pick'),
    params: fc.record({ kind: fc.constantFrom('number', 'string') }),
  }),
  fc.record({
    type: fc.constant('edge.settings' as const),
    id: fc.constant('e2'),
    settings: fc.record({ weight: fc.integer({ min: 0, max: 3 }) }),
  }),
  fc.record({ type: fc.constant('document.update' as const), name: fc.constantFrom('x', 'y') }),
);

describe('incremental analysis of edited frozen documents', () => {
  it('gives the same issues, plan, keys and outputs as a fresh engine', async () => {
    const registry = testRegistry();
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(change, { minLength: 1, maxLength: 2 }), { minLength: 1, maxLength: 6 }),
        async (edits) => {
          const engine = createEngine({ registry });
          const start = applyChanges(editableDoc(), []);
          if (!start.ok) throw new Error('base graph did not freeze');
          let current = start.value.doc;
          engine.validate(current);
          await engine.run(current).result;
          for (const batch of edits) {
            const r = applyChanges(current, batch);
            if (!r.ok) continue;
            current = r.value.doc;
            await expectSameAsFresh(engine, current, registry);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('explains an edited param as the reason, after the incremental path', async () => {
    const engine = createEngine({ registry: testRegistry() });
    const start = applyChanges(editableDoc(), []);
    if (!start.ok) throw new Error('base graph did not freeze');
    await engine.run(start.value.doc).result;
    const edited = applyChanges(start.value.doc, [{ type: 'params.set', id: 'a', params: { value: 9 } }]);
    if (!edited.ok) throw new Error('edit failed');
    const why = Object.fromEntries((await engine.explain(edited.value.doc)).map((e) => [e.nodeId, e.reason]));
    expect(why.a).toMatchObject({ code: 'params.changed', params: ['value'] });
    expect(why.sum).toMatchObject({ code: 'inputs.changed', inputs: ['a'] });
    expect(why.b?.code).toBe('cache.hit');
    const invalid = applyChanges(edited.value.doc, [
      { type: 'params.set', id: 'b', params: { value: 'no' } },
    ]);
    if (!invalid.ok) throw new Error('edit failed');
    expect(engine.validate(invalid.value.doc).issues).toEqual([
      expect.objectContaining({ code: 'params.invalid', path: ['nodes', 1, 'params', 'value'], nodeId: 'b' }),
    ]);
  });

  it.each([
    ['validated and explained', true],
    ['only validated', false],
  ])(
    'forgets the analyses and plans of earlier edits, %s (a session does not grow in memory)',
    async (_, explainEach) => {
      const gc = exposeGc();
      const engine = createEngine({ registry: testRegistry() });
      let current = frozenBase();
      await engine.explain(current);
      // the node object an edit replaces is held by nothing but what the engine kept of that version
      const replaced = new WeakRef(current.nodes[0]!);
      for (let v = 0; v < 4; v++) {
        const r = applyChanges(current, [{ type: 'params.set', id: 'a', params: { value: 10 + v } }]);
        if (!r.ok) throw new Error('edit failed');
        current = r.value.doc;
        engine.validate(current);
        if (explainEach) await engine.explain(current);
      }
      // WeakRefs are cleared between jobs: collect, yield, collect
      gc();
      await new Promise((resolve) => setTimeout(resolve, 0));
      gc();
      expect(replaced.deref()).toBeUndefined();
      expect((await engine.explain(current)).find((e) => e.nodeId === 'a')?.willRun).toBe(true);
    },
  );
});

function frozenBase() {
  const start = applyChanges(editableDoc(), []);
  if (!start.ok) throw new Error('base graph did not freeze');
  return start.value.doc;
}

/** V8's collector, reached without the --expose-gc flag (the core compiles without Node types). */
function exposeGc(): () => void {
  const proc = (globalThis as unknown as { process: { getBuiltinModule(name: string): unknown } }).process;
  const v8 = proc.getBuiltinModule('node:v8') as { setFlagsFromString(flags: string): void };
  const vm = proc.getBuiltinModule('node:vm') as { runInNewContext(code: string): unknown };
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}
