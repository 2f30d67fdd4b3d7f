import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod/mini';
import { createEngine } from './engine';
import type { RunEvent } from './events';
import { createRegistry, defineNode, definePack, type PortFacts } from './node';
import { createMemoryStore } from './store';
import { doc, edge, node } from './test/fixtures';
import { checkPortValue, createTypeRegistry, defineType, type PortType, portType, t } from './types';

interface Point {
  x: number;
  y: number;
}
const pointType = defineType({
  kind: 'point',
  label: () => 'Point',
  value: z.object({ x: z.number(), y: z.number() }),
});
const point = (): PortType<Point> => portType<Point>('point');

/** A point from its params, or (with `broken`) a value that is not one. */
const makePoint = defineNode({
  type: 'ports.make',
  version: 1,
  params: z.object({ x: z.number(), broken: z._default(z.boolean(), false) }),
  outputs: { point: { type: point() } },
  async run(ctx) {
    return { point: ctx.params.broken ? ({ x: 'left' } as unknown as Point) : { x: ctx.params.x, y: 0 } };
  },
});

/** Anything at all, typed `any`: only the inputs it feeds can say what its value must be. */
const anything = defineNode({
  type: 'ports.anything',
  version: 1,
  params: z.object({ value: z.json() }),
  outputs: { out: { type: t.any() } },
  async run(ctx) {
    return { out: ctx.params.value };
  },
});

const seen: Array<{ hook: 'run' | 'estimate' | 'resources'; settings: unknown; types?: unknown }> = [];

/** Sums the points' x, each scaled by its connection's `scale` (default 2). */
const sumPoints = defineNode({
  type: 'ports.sum',
  version: 1,
  params: z.object({}),
  inputs: {
    points: { type: point(), multiple: true, settings: z.object({ scale: z._default(z.number(), 2) }) },
    label: { type: t.string(), optional: true },
  },
  outputs: { sum: { type: t.number() } },
  resources: (_p, facts: PortFacts) => {
    seen.push({ hook: 'resources', settings: facts.inputSettings.points, types: facts.inputTypes.points });
    return facts.inputTypes.points!.length > 1 ? ['slot:many'] : ['slot:one'];
  },
  async estimate({ inputs, inputSettings }) {
    seen.push({ hook: 'estimate', settings: inputSettings.points });
    return inputs.points
      ? { amount: inputs.points.reduce((s, i) => s + i.value.x * i.settings.scale, 0), unit: 'x' }
      : undefined;
  },
  async run(ctx) {
    // typed from the declaration: no cast, no parse
    seen.push({ hook: 'run', settings: ctx.inputs.points.map((i) => i.settings) });
    return { sum: ctx.inputs.points.reduce((s, i) => s + i.value.x * i.settings.scale, 0) };
  },
});

const registry = createRegistry(
  definePack({ name: 'ports', nodes: [makePoint, anything, sumPoints], types: [pointType] }),
);

describe('typed ports', () => {
  it('types ctx.inputs and connection settings from the declared ports', () => {
    type Ctx = Parameters<typeof sumPoints.run>[0];
    expectTypeOf<Ctx['inputs']['points'][number]['value']>().toEqualTypeOf<Point>();
    expectTypeOf<Ctx['inputs']['points'][number]['settings']>().toEqualTypeOf<{ scale: number }>();
    expectTypeOf<Ctx['inputs']['label']>().toEqualTypeOf<string | undefined>();
  });

  it('checks a value against its port type’s schema, saying where it is wrong', () => {
    const types = createTypeRegistry([pointType]);
    expect(checkPortValue(point(), { x: 1, y: 2 }, types)).toBe(true);
    expect(checkPortValue(point(), { x: 1 }, types)).toMatch(/at y$/);
    expect(checkPortValue(t.list(t.number()), [1, 'two'], types)).toMatch(/at 1$/);
    expect(checkPortValue(t.any(), { any: 'thing' }, types)).toBe(true);
  });

  it('fails the node whose output does not fit its port type, before any consumer sees it', async () => {
    const engine = createEngine({ registry });
    const { result } = engine.run(
      doc(
        [node('p', 'ports.make', { x: 1, broken: true }), node('sum', 'ports.sum')],
        [edge('e1', 'p.point', 'sum.points')],
      ),
    );
    const { nodes } = await result;
    expect(nodes.p?.status).toBe('failed');
    expect(nodes.p?.error?.code).toBe('port.value-invalid');
    expect(nodes.p?.error?.message).toMatch(
      /^"p" returned a value on its output "point" that is not a Point value/,
    );
    expect(nodes.sum).toMatchObject({ status: 'skipped' });
  });

  it('checks an untyped output against the type of each input it feeds, failing the producer', async () => {
    const engine = createEngine({ registry });
    const run = (value: unknown) =>
      engine.run(
        doc(
          [node('any', 'ports.anything', { value }), node('sum', 'ports.sum')],
          [edge('e1', 'any.out', 'sum.points')],
        ),
      ).result;
    const bad = await run({ x: 'one' });
    expect(bad.nodes.any?.error?.code).toBe('port.value-invalid');
    expect(bad.nodes.any?.error?.message).toContain('the Point input "sum.points" cannot take');
    const good = await run({ x: 3, y: 0 });
    expect(good.nodes.sum).toMatchObject({ status: 'succeeded', outputs: { sum: 6 } });
  });
});

describe('resources and estimate', () => {
  const graph = () =>
    doc(
      [node('a', 'ports.make', { x: 1 }), node('b', 'ports.make', { x: 10 }), node('sum', 'ports.sum')],
      [edge('e1', 'a.point', 'sum.points', { scale: 3 }), edge('e2', 'b.point', 'sum.points')],
    );

  it('gives resources the connections’ types and parsed settings, so a node names only the slot it uses', () => {
    seen.length = 0;
    const engine = createEngine({ registry });
    const one = doc(
      [node('a', 'ports.make', { x: 1 }), node('sum', 'ports.sum')],
      [edge('e1', 'a.point', 'sum.points')],
    );
    expect(engine.plan(graph()).steps.find((s) => s.nodeId === 'sum')?.resources).toEqual(['slot:many']);
    expect(engine.plan(one).steps.find((s) => s.nodeId === 'sum')?.resources).toEqual(['slot:one']);
    expect(seen[0]).toEqual({
      hook: 'resources',
      settings: [{ scale: 3 }, { scale: 2 }],
      types: [{ kind: 'point' }, { kind: 'point' }],
    });
  });

  it('gives the estimate the same parsed settings run gets, and the upstream values once cached', async () => {
    const engine = createEngine({ registry, cache: createMemoryStore() });
    seen.length = 0;
    const before = await engine.estimate(graph());
    expect(before.find((n) => n.nodeId === 'sum')).toMatchObject({ willRun: true, costUnknown: true });
    await engine.run(graph(), { targets: ['a', 'b'] }).result;
    const after = await engine.estimate(graph());
    expect(after.find((n) => n.nodeId === 'sum')?.cost).toEqual({ amount: 23, unit: 'x' });
    const events: RunEvent[] = [];
    const handle = engine.run(graph());
    handle.subscribe((e) => events.push(e));
    expect((await handle.result).nodes.sum?.outputs).toEqual({ sum: 23 });
    const settingsOf = (hook: string) => seen.filter((s) => s.hook === hook).map((s) => s.settings);
    expect(settingsOf('estimate').at(-1)).toEqual([{ scale: 3 }, { scale: 2 }]);
    expect(settingsOf('run')).toEqual([settingsOf('estimate').at(-1)]);
  });

  it('reports an estimate hook that throws as that node’s costError, redacted', async () => {
    const secret = 'sk-very-secret';
    const throwing = defineNode({
      type: 'ports.throws',
      version: 1,
      params: z.object({}),
      outputs: { out: { type: t.number() } },
      estimate: async () => {
        throw Object.assign(new Error(`refused for ${secret}`), { code: 'price.refused' });
      },
      run: async () => ({ out: 1 }),
    });
    const engine = createEngine({
      registry: createRegistry(definePack({ name: 'throws', nodes: [throwing] })),
      secrets: [secret],
    });
    const [entry] = await engine.estimate(doc([node('x', 'ports.throws')]));
    expect(entry?.costError?.code).toBe('price.refused');
    expect(entry?.costError?.message).not.toContain(secret);
  });
});
