import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod/mini';
import { checkConnection, type PortRef, resolveGraph } from './connection';
import type { GraphDocument, GraphEdge, GraphNode } from './document';
import { examplePack } from './example-pack';
import type { Issue } from './issues';
import { deepFreeze } from './json';
import { createRegistry, defineNode, definePack, type RuleProblem } from './node';
import { doc, edge, node, sampleDoc, testPack } from './test/fixtures';
import { defineType, t } from './types';
import { validateGraph } from './validate';

// A kind with families (as LoRAs have), a node whose output type follows its inputs, per-connection
// settings, a rule about the whole input (mixed families) and one about single connections (scale).
const famType = defineType({
  kind: 'fam',
  label: (type) => `${String(type.params?.family ?? 'any')} fam`,
  accepts: (to, from) =>
    from.kind !== 'fam'
      ? 'it is not a fam'
      : to.params?.family === undefined || to.params.family === from.params?.family
        ? true
        : `a ${String(from.params?.family)} cannot feed a ${String(to.params.family)}`,
});
const famSource = defineNode({
  type: 'fam.source',
  version: 1,
  params: z.object({ family: z.enum(['a', 'b']) }),
  outputs: { out: { type: ({ params }) => ({ kind: 'fam', params: { family: params.family } }) } },
  async run() {
    return { out: null };
  },
});
const famBlend = defineNode({
  type: 'fam.blend',
  version: 1,
  params: z.object({ limit: z._default(z.number(), 0.9) }),
  inputs: {
    items: {
      type: { kind: 'fam' },
      multiple: true,
      max: 3,
      settings: z.object({ scale: z._default(z.number().check(z.gte(0), z.lte(1)), 0.5) }),
    },
    extra: { type: t.number(), optional: true },
  },
  outputs: { out: { type: ({ inputTypes }) => inputTypes.items?.[0] ?? { kind: 'fam' } } },
  validate: ({ params, inputTypes, inputSettings }) => {
    const problems: RuleProblem[] = [];
    const families = [...new Set((inputTypes.items ?? []).map((x) => String(x.params?.family)))];
    if (families.length > 1)
      problems.push({ code: 'rule.mixed', message: `mixes ${families.join(' and ')}.`, path: ['inputs'] });
    (inputSettings.items ?? []).forEach((s, index) => {
      if (typeof s.scale === 'number' && s.scale > params.limit)
        problems.push({
          code: 'rule.scale',
          message: `scale ${s.scale} is over ${params.limit}.`,
          path: ['settings', 'scale'],
          connection: { port: 'items', index },
        });
    });
    return problems;
  },
  async run() {
    return { out: null };
  },
});
const famSink = defineNode({
  type: 'fam.sink',
  version: 1,
  params: z.object({ family: z._default(z.enum(['a', 'b']), 'a') }),
  inputs: { in: { type: (p: { family: string }) => ({ kind: 'fam', params: { family: p.family } }) } },
  outputs: { done: { type: t.boolean() } },
  async run() {
    return { done: true };
  },
});
const famPack = definePack({ name: 'fam', nodes: [famSource, famBlend, famSink], types: [famType] });
const registry = createRegistry(examplePack, testPack, famPack);
const RULE_CODES = new Set(['pick.empty', 'rule.mixed', 'rule.scale']);

// ---- the reference: validate the document with the edge, keep what is new and about the edge ----

const keyOf = (i: Issue) =>
  JSON.stringify([i.code, i.message, i.nodeId ?? null, i.edgeId ?? null, i.path.slice(2)]);

function withEdge(d: GraphDocument, e: GraphEdge, replace: boolean): GraphDocument {
  const target = d.nodes.find((n) => n.id === e.to.node);
  const spec = target ? registry.get(target.type)?.inputs : undefined;
  const single = spec !== undefined && Object.hasOwn(spec, e.to.port) && !spec[e.to.port]!.multiple;
  const kept =
    replace && single
      ? d.edges.filter((x) => !(x.to.node === e.to.node && x.to.port === e.to.port))
      : d.edges;
  return { ...d, edges: [...kept, e] };
}

function expected(d: GraphDocument, e: GraphEdge, replace: boolean): Issue[] {
  const before = new Map<string, number>();
  for (const i of validateGraph(d, registry).issues) before.set(keyOf(i), (before.get(keyOf(i)) ?? 0) + 1);
  const isNew = (i: Issue) => {
    const left = before.get(keyOf(i)) ?? 0;
    if (left > 0) before.set(keyOf(i), left - 1);
    return left === 0;
  };
  const changed = withEdge(d, e, replace);
  const at = changed.edges.length - 1;
  const after = validateGraph(changed, registry).issues;
  if (after.some((i) => i.code === 'validation.internal')) return after;
  // the new edge's issues are the ones at its path (its id may be another edge's too)
  return after.filter(
    (i) =>
      (i.path[0] === 'edges' && i.path[1] === at) ||
      ((i.code === 'graph.cycle' || (RULE_CODES.has(i.code) && i.nodeId === e.to.node)) && isNew(i)),
  );
}

// ---- random documents: any node types and params, ports mostly right, edges sometimes backwards ----

// the family nodes twice over, so rules about families and scales come up often
const TYPES = [
  ...registry.nodes().map((d) => d.type),
  'fam.source',
  'fam.blend',
  'fam.blend',
  'nope.unknown',
];
// per type, params that pass; now and then a node gets one of the others' instead
const VALID_PARAMS: Record<string, Array<Record<string, unknown> | undefined>> = {
  'example.number': [{ value: 1 }, { value: 2 }],
  'example.add': [undefined, { offset: 1 }],
  'example.format': [undefined, { template: '{}' }],
  'test.pick': [undefined, { kind: 'string' }, { kind: 'number' }],
  'fam.source': [{ family: 'a' }, { family: 'b' }],
  'fam.blend': [undefined, { limit: 0.2 }],
  'fam.sink': [undefined, { family: 'b' }],
  'nope.unknown': [undefined],
};
const ANY_PARAMS = [{ value: 'x' }, { family: 3 }, { kind: 'both' }, { limit: 'high' }, { template: 1 }];
const SETTINGS = [undefined, { weight: 2 }, { scale: 0.3 }, { scale: 0.95 }, { scale: 0.1 }, { scale: 'x' }];

/** True about once in `n` draws. */
const rarely = (n: number) => fc.nat({ max: n - 1 }).map((x) => x === 0);

const nodesArb = fc.array(
  fc.record({
    type: fc.constantFrom(...TYPES),
    params: fc.nat(),
    invalid: rarely(8),
    sameIdAsPrevious: rarely(25),
  }),
  { minLength: 1, maxLength: 7 },
);

const endArb = (count: number) => fc.record({ at: fc.nat({ max: count }), port: fc.nat(), odd: rarely(12) });
type End = { at: number; port: number; odd: boolean };

function toNodes(raw: Array<{ type: string; params: number; invalid: boolean; sameIdAsPrevious: boolean }>) {
  return raw.map((r, i): GraphNode => {
    const id = r.sameIdAsPrevious && i > 0 ? `n${i - 1}` : `n${i}`;
    const choices = r.invalid ? ANY_PARAMS : VALID_PARAMS[r.type]!;
    const params = choices[r.params % choices.length];
    return params === undefined ? { id, type: r.type } : { id, type: r.type, params };
  });
}

/** Mostly a port of the node; now and then one it does not have, or a node that is not there. */
function pickEnd(nodes: GraphNode[], end: End, side: 'in' | 'out'): PortRef {
  const n = nodes[end.at % nodes.length]!;
  if (end.odd) return end.port % 2 === 0 ? { node: n.id, port: 'nope' } : { node: 'ghost', port: 'out' };
  const def = registry.get(n.type);
  const ports = Object.keys((side === 'in' ? def?.inputs : def?.outputs) ?? {});
  return { node: n.id, port: ports.length === 0 ? 'nope' : ports[end.port % ports.length]! };
}

const caseArb = nodesArb.chain((raw) => {
  const count = raw.length - 1;
  const edgeArb = fc.record({
    from: endArb(count),
    to: endArb(count),
    settings: fc.constantFrom(...SETTINGS),
    backwards: rarely(25),
  });
  return fc.record({
    raw: fc.constant(raw),
    edges: fc.array(edgeArb, { maxLength: 10 }),
    extra: edgeArb,
    id: fc.oneof(
      { arbitrary: fc.constant('x'), weight: 8 },
      { arbitrary: fc.constantFrom('e0', 'new'), weight: 1 },
    ),
    replace: fc.boolean(),
  });
});

function build(c: CaseValue) {
  const nodes = toNodes(c.raw);
  const edges: GraphEdge[] = [];
  c.edges.forEach((r, k) => {
    // edges run forward through the node list unless drawn backwards, so most documents are acyclic
    let [f, to] = [r.from.at % nodes.length, r.to.at % nodes.length];
    if (!r.backwards && f >= to) {
      if (f === to) return;
      [f, to] = [to, f];
    }
    const e: GraphEdge = {
      id: k === 7 ? 'e0' : `e${k}`,
      from: pickEnd(nodes, { ...r.from, at: f }, 'out'),
      to: pickEnd(nodes, { ...r.to, at: to }, 'in'),
    };
    if (r.settings !== undefined) e.settings = r.settings;
    edges.push(e);
  });
  const from = pickEnd(nodes, c.extra.from, 'out');
  const to = pickEnd(nodes, c.extra.to, 'in');
  return { d: doc(nodes, edges), from, to, settings: c.extra.settings };
}
type CaseValue = typeof caseArb extends fc.Arbitrary<infer V> ? V : never;

describe('checkConnection', () => {
  it('answers what validation says about the edge once it is added, for any document and edge', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const { d, from, to, settings } = build(c);
        const e: GraphEdge = { id: c.id, from, to };
        if (settings !== undefined) e.settings = settings;
        const want = expected(d, e, c.replace);
        const got = checkConnection(d, registry, from, to, {
          id: c.id,
          replace: c.replace,
          ...(settings !== undefined ? { settings } : {}),
        });
        expect(got.ok ? [] : got.issues).toEqual(want);
      }),
      { numRuns: 600 },
    );
  });

  it('gives the same answers from one resolved graph asked many times, in any order', () => {
    fc.assert(
      fc.property(
        caseArb,
        fc.array(fc.tuple(fc.nat(), fc.nat(), fc.nat(), fc.nat()), { maxLength: 6 }),
        (c, asks) => {
          const { d } = build(c);
          const graph = resolveGraph(d, registry);
          for (const [fa, fp, ta, tp] of asks) {
            const from = pickEnd(d.nodes, { at: fa, port: fp, odd: false }, 'out');
            const to = pickEnd(d.nodes, { at: ta, port: tp, odd: false }, 'in');
            expect(graph.checkConnection(from, to, { id: 'x' })).toEqual(
              checkConnection(structuredClone(d), registry, from, to, { id: 'x' }),
            );
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('refuses a type mismatch with both types named, in the sentence validation gives', () => {
    const d = doc(
      [node('n', 'example.number', { value: 1 }), node('f', 'example.format'), node('s', 'example.add')],
      [edge('e1', 'n.value', 'f.value')],
    );
    const r = checkConnection(
      d,
      registry,
      { node: 'f', port: 'text' },
      { node: 's', port: 'terms' },
      { id: 'e2' },
    );
    expect(r).toEqual({
      ok: false,
      issues: [
        {
          path: ['edges', 1],
          code: 'type.mismatch',
          message: 'Edge "e2" (f.text → s.terms): A Text output cannot connect to a Number input.',
          edgeId: 'e2',
          nodeId: 's',
        },
      ],
    });
  });

  it('refuses a connection that closes a cycle, naming the cycle, and names an unnamed edge "new"', () => {
    const d = sampleDoc();
    const r = checkConnection(d, registry, { node: 'sum', port: 'sum' }, { node: 'sum', port: 'terms' });
    expect(r.ok === false && r.issues.map((i) => [i.code, i.message])).toEqual([
      ['graph.cycle', 'The graph has a cycle: "sum" → "sum"; a node cannot depend on its own output.'],
    ]);
    const chain = doc(
      [node('a', 'example.add'), node('b', 'example.add'), node('c', 'example.add')],
      [edge('e1', 'a.sum', 'b.terms'), edge('e2', 'b.sum', 'c.terms')],
    );
    const back = checkConnection(chain, registry, { node: 'c', port: 'sum' }, { node: 'a', port: 'terms' });
    expect(back.ok === false && back.issues[0]?.message).toBe(
      'The graph has a cycle: "a" → "b" → "c" → "a"; a node cannot depend on its own output.',
    );
    const wrong = checkConnection(chain, registry, { node: 'c', port: 'sum' }, { node: 'a', port: 'nope' });
    expect(wrong.ok === false && wrong.issues[0]?.message).toBe(
      'Node "a" (example.add) has no input "nope"; its inputs are "terms".',
    );
  });

  it('refuses a second connection to a single input, or replaces the first when asked', () => {
    const d = doc(
      [
        node('a', 'example.number', { value: 1 }),
        node('b', 'example.number', { value: 2 }),
        node('f', 'example.format'),
      ],
      [edge('e1', 'a.value', 'f.value')],
    );
    const second = checkConnection(
      d,
      registry,
      { node: 'b', port: 'value' },
      { node: 'f', port: 'value' },
      { id: 'e2' },
    );
    expect(second.ok === false && second.issues.map((i) => i.message)).toEqual([
      'Input "value" of node "f" takes one connection but has 2.',
    ]);
    expect(
      checkConnection(
        d,
        registry,
        { node: 'b', port: 'value' },
        { node: 'f', port: 'value' },
        { replace: true },
      ),
    ).toEqual({ ok: true });
  });

  it("reports what the target's rules say about the new connection: mixed families, a scale on that edge", () => {
    const d = doc(
      [
        node('a', 'fam.source', { family: 'a' }),
        node('b', 'fam.source', { family: 'b' }),
        node('m', 'fam.blend'),
      ],
      [edge('e1', 'a.out', 'm.items')],
    );
    const mixed = checkConnection(d, registry, { node: 'b', port: 'out' }, { node: 'm', port: 'items' });
    expect(mixed.ok === false && mixed.issues.map((i) => [i.code, i.path, i.message])).toEqual([
      ['rule.mixed', ['nodes', 2, 'inputs'], 'Node "m": mixes a and b.'],
    ]);
    const scaled = checkConnection(
      d,
      registry,
      { node: 'a', port: 'out' },
      { node: 'm', port: 'items' },
      { id: 'e2', settings: { scale: 0.95 } },
    );
    expect(scaled.ok === false && scaled.issues.map((i) => [i.code, i.path, i.edgeId])).toEqual([
      ['rule.scale', ['edges', 1, 'settings', 'scale'], 'e2'],
    ]);
  });

  it('resolves output types that depend on the inputs, as validation does', () => {
    const d = doc(
      [
        node('a', 'fam.source', { family: 'b' }),
        node('m', 'fam.blend'),
        node('s', 'fam.sink', { family: 'x' }),
      ],
      [edge('e1', 'a.out', 'm.items')],
    );
    const graph = resolveGraph(d, registry);
    expect(graph.outputTypes('m')).toEqual({ out: { kind: 'fam', params: { family: 'b' } } });
    expect(graph.inputTypes('m')).toEqual({ items: { kind: 'fam' }, extra: { kind: 'number' } });
    // the sink's params fail: its dynamic input type is unknown, its fixed output still shown
    expect(graph.inputTypes('s')).toEqual({});
    expect(graph.outputTypes('s')).toEqual({ done: { kind: 'boolean' } });
    expect(graph.outputTypes('ghost')).toBeUndefined();
    expect(graph.issues).toEqual(validateGraph(d, registry).issues);
  });

  it('remembers the analysis of a frozen document and never throws on a document that is no graph', () => {
    const d = deepFreeze(sampleDoc());
    expect(resolveGraph(d, registry)).toBe(resolveGraph(d, registry));
    expect(resolveGraph(sampleDoc(), registry)).not.toBe(resolveGraph(sampleDoc(), registry));
    expect(checkConnection(42, registry, { node: 'a', port: 'b' }, { node: 'c', port: 'd' })).toMatchObject({
      ok: false,
      issues: [{ code: 'document.invalid' }],
    });
  });
});
