// A host's pack written with classic `zod` (the import below) must keep working on a zod/mini core.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createEngine } from './engine';
import { createRegistry, defineNode, definePack, type InputSettings } from './node';
import { doc, edge, node } from './test/fixtures';
import { defineType, portType, valueSchemaOf } from './types';
import { validateGraph } from './validate';

const point = defineType({ kind: 'point', value: z.object({ x: z.number(), y: z.number() }) });
const pointType = portType<{ x: number; y: number }>('point');

const origin = defineNode({
  type: 'classic.point',
  version: 1,
  params: z.object({ x: z.number().int().min(0).default(0), y: z.number().describe('Height.') }),
  outputs: { point: { type: pointType } },
  async run({ params }) {
    return { point: { x: params.x, y: params.y } };
  },
});

const scaleSettings = z.object({ scale: z.number().min(0).max(2).default(1) });
const sum = defineNode({
  type: 'classic.sum',
  version: 1,
  params: z.object({ label: z.string().trim().min(1).optional() }),
  inputs: { points: { type: pointType, multiple: true, settings: scaleSettings } },
  outputs: { point: { type: pointType } },
  async run({ inputs }) {
    const settings: InputSettings<{ type: typeof pointType; settings: typeof scaleSettings }>[] =
      inputs.points.map((p) => p.settings);
    return {
      point: inputs.points.reduce(
        (acc, p, i) => ({
          x: acc.x + p.value.x * settings[i]!.scale,
          y: acc.y + p.value.y * settings[i]!.scale,
        }),
        { x: 0, y: 0 },
      ),
    };
  },
});

const classicPack = definePack({ name: 'classic', types: [point], nodes: [origin, sum] });

describe('a pack written with classic zod', () => {
  const registry = createRegistry(classicPack);

  it('registers, and its value schema is the classic one it declared', () => {
    expect(registry.get('classic.sum')?.params).toBe(sum.params);
    expect(valueSchemaOf(pointType, registry.types)).toBe(point.value);
  });

  it('validates params and connection settings with its own rules and sentences', () => {
    const bad = doc(
      [node('a', 'classic.point', { x: -1, y: 1 }), node('s', 'classic.sum', { label: '  ' })],
      [edge('e1', 'a.point', 's.points', { scale: 3 })],
    );
    const issues = validateGraph(bad, registry).issues.map((i) => [i.path.join('.'), i.message]);
    expect(issues).toEqual([
      ['nodes.0.params.x', expect.stringContaining('Too small: expected number to be >=0')],
      ['nodes.1.params.label', expect.stringContaining('Too small: expected string to have >=1 characters')],
      ['edges.0.settings.scale', expect.stringContaining('Too big: expected number to be <=2')],
    ]);
  });

  it('runs with its defaults applied', async () => {
    const graph = doc(
      [
        node('a', 'classic.point', { y: 2 }),
        node('b', 'classic.point', { x: 1, y: 1 }),
        node('s', 'classic.sum'),
      ],
      [edge('e1', 'a.point', 's.points'), edge('e2', 'b.point', 's.points', { scale: 2 })],
    );
    const result = await createEngine({ registry }).run(graph).result;
    expect(result.nodes.s?.outputs).toEqual({ point: { x: 2, y: 4 } });
  });
});
