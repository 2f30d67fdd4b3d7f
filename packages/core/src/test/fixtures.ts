import { expect } from 'vitest';
import { z } from 'zod/mini';
import type { GraphDocument, GraphEdge, GraphNode } from '../document';
import { createEngine, type Engine } from '../engine';
import { examplePack } from '../example-pack';
import { createRegistry, defineNode, definePack, type NodeRegistry } from '../node';
import { t } from '../types';

// Shared by the core's tests: a registry with the example pack plus nodes that exercise the rarer features.
const pick = defineNode({
  type: 'test.pick',
  version: 1,
  params: z.object({ kind: z._default(z.enum(['number', 'string']), 'number') }),
  inputs: {
    values: { type: (p: { kind: string }) => ({ kind: p.kind }), multiple: true, optional: true, max: 2 },
    fallback: { type: t.any(), optional: true },
  },
  outputs: { first: { type: ({ inputTypes }) => inputTypes.values?.[0] ?? t.any() } },
  validate: ({ params, inputTypes }) =>
    params.kind === 'string' && (inputTypes.values?.length ?? 0) === 0
      ? [{ code: 'pick.empty', message: 'a string pick needs at least one value.' }]
      : [],
  async run(ctx) {
    return { first: ctx.inputs.values[0]?.value ?? ctx.inputs.fallback ?? null };
  },
});

export const testPack = definePack({ name: 'test', nodes: [pick] });

export function testRegistry() {
  return createRegistry(examplePack, testPack);
}

export function node(id: string, type: string, params?: Record<string, unknown>): GraphNode {
  return params === undefined ? { id, type } : { id, type, params };
}

export function edge(id: string, from: string, to: string, settings?: Record<string, unknown>): GraphEdge {
  const [fn, fp] = from.split('.') as [string, string];
  const [tn, tp] = to.split('.') as [string, string];
  const e: GraphEdge = { id, from: { node: fn, port: fp }, to: { node: tn, port: tp } };
  if (settings) e.settings = settings;
  return e;
}

export function doc(nodes: GraphNode[], edges: GraphEdge[] = []): GraphDocument {
  return { format: 'loraflow.graph', version: 1, nodes, edges };
}

/** a + b*2 -> sum -> text: a small valid graph. */
export function sampleDoc(): GraphDocument {
  return doc(
    [
      node('a', 'example.number', { value: 2 }),
      node('b', 'example.number', { value: 3 }),
      node('sum', 'example.add'),
      node('text', 'example.format', { template: 'sum={}' }),
    ],
    [
      edge('e1', 'a.value', 'sum.terms'),
      edge('e2', 'b.value', 'sum.terms', { weight: 2 }),
      edge('e3', 'sum.sum', 'text.value'),
    ],
  );
}

/** Six nodes with edge settings, a multi-input, a dynamic type and a node rule: what edits exercise. */
export function editableDoc(): GraphDocument {
  return doc(
    [
      node('a', 'example.number', { value: 1 }),
      node('b', 'example.number', { value: 2 }),
      node('sum', 'example.add'),
      node('text', 'example.format', { template: '= {}' }),
      node('pick', 'test.pick'),
      node('shown', 'example.format'),
    ],
    [
      edge('e1', 'a.value', 'sum.terms'),
      edge('e2', 'b.value', 'sum.terms', { weight: 2 }),
      edge('e3', 'sum.sum', 'text.value'),
      edge('e4', 'b.value', 'pick.values'),
      edge('e5', 'pick.first', 'shown.value'),
    ],
  );
}

/**
 * Holds what `engine` answers for `current` (issues, connected types, plan, keys, run outputs)
 * equal to a fresh engine's, whatever the engine kept from earlier calls.
 */
export async function expectSameAsFresh(
  engine: Engine,
  current: GraphDocument,
  registry: NodeRegistry,
): Promise<void> {
  const fresh = createEngine({ registry });
  const v = engine.validate(current);
  expect(v).toEqual(fresh.validate(current));
  expect(engine.connectedTypes(current)).toEqual(fresh.connectedTypes(current));
  if (!v.ok) return;
  const plan = engine.plan(current);
  const expected = fresh.plan(current);
  expect(plan.order).toEqual(expected.order);
  expect(plan.keys).toEqual(expected.keys);
  expect(plan.steps).toEqual(expected.steps);
  const [mine, theirs] = await Promise.all([engine.run(current).result, fresh.run(current).result]);
  for (const id of Object.keys(theirs.nodes)) {
    expect(mine.nodes[id]?.outputs).toEqual(theirs.nodes[id]?.outputs);
    expect(mine.nodes[id]?.key).toBe(theirs.nodes[id]?.key);
  }
}
