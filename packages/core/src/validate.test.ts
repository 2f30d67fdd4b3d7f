import fc from 'fast-check';
import { produce } from 'immer';
import { describe, expect, it } from 'vitest';
import { z } from 'zod/mini';
import { GraphEdgeSchema, GraphNodeSchema } from './document';
import { createRegistry, defineNode, definePack } from './node';
import { doc, edge, node, sampleDoc, testRegistry } from './test/fixtures';
import { t } from './types';
import { looksLikeEdge, looksLikeNode, validateGraph } from './validate';

const registry = testRegistry();
const codes = (d: unknown) => validateGraph(d, registry).issues.map((i) => i.code);

describe('validateGraph', () => {
  it('accepts a valid graph', () => {
    expect(validateGraph(sampleDoc(), registry)).toEqual({ ok: true, issues: [] });
  });

  it('reports an unknown node type at its path', () => {
    const r = validateGraph(doc([node('x', 'nope.nothing')]), registry);
    expect(r.issues).toEqual([
      {
        path: ['nodes', 0, 'type'],
        code: 'node.unknown-type',
        message: 'Node "x" has type "nope.nothing", which no registered node pack defines.',
        nodeId: 'x',
      },
    ]);
  });

  it('reports duplicate node and edge ids', () => {
    const d = sampleDoc();
    d.nodes.push(node('a', 'example.number', { value: 1 }));
    d.edges.push(edge('e1', 'a.value', 'sum.terms'));
    expect(codes(d)).toEqual(expect.arrayContaining(['node.duplicate-id', 'edge.duplicate-id']));
  });

  it('reports an edge to a node that is not there', () => {
    const d = sampleDoc();
    d.edges.push(edge('e9', 'ghost.value', 'sum.terms'));
    const issue = validateGraph(d, registry).issues.find((i) => i.code === 'edge.dangling');
    expect(issue).toMatchObject({ path: ['edges', 3, 'from', 'node'], edgeId: 'e9' });
    expect(issue?.message).toContain('"ghost"');
  });

  it('reports unknown ports on both ends and lists the real ones', () => {
    const d = sampleDoc();
    d.edges.push(edge('e9', 'a.nope', 'sum.terms'), edge('e10', 'a.value', 'sum.nope'));
    const issues = validateGraph(d, registry).issues.filter((i) => i.code === 'edge.unknown-port');
    expect(issues.map((i) => i.path)).toEqual([
      ['edges', 3, 'from', 'port'],
      ['edges', 4, 'to', 'port'],
    ]);
    expect(issues[0]!.message).toContain('its outputs are "value"');
  });

  it('names both types on a type mismatch', () => {
    const d = doc(
      [node('n', 'example.number', { value: 1 }), node('f', 'example.format'), node('s', 'example.add')],
      [edge('e1', 'n.value', 'f.value'), edge('e2', 'f.text', 's.terms')],
    );
    const issue = validateGraph(d, registry).issues.find((i) => i.code === 'type.mismatch');
    expect(issue?.path).toEqual(['edges', 1]);
    expect(issue?.message).toContain('A Text output cannot connect to a Number input');
  });

  it('derives output types from inputs and params', () => {
    const d = doc(
      [
        node('n', 'example.number', { value: 1 }),
        node('p', 'test.pick'),
        node('f', 'example.format'),
        node('p2', 'test.pick', { kind: 'string' }),
      ],
      [
        edge('e1', 'n.value', 'p.values'),
        edge('e2', 'p.first', 'f.value'),
        edge('e3', 'n.value', 'p2.values'),
      ],
    );
    const issues = validateGraph(d, registry).issues;
    expect(issues.map((i) => i.code)).toEqual(['type.mismatch']);
    expect(issues[0]!.edgeId).toBe('e3');
  });

  it('lists the nodes of a cycle', () => {
    const d = doc(
      [node('x', 'example.add'), node('y', 'example.add'), node('z', 'example.format')],
      [edge('e1', 'x.sum', 'y.terms'), edge('e2', 'y.sum', 'x.terms'), edge('e3', 'y.sum', 'z.value')],
    );
    const cycle = validateGraph(d, registry).issues.filter((i) => i.code === 'graph.cycle');
    expect(cycle).toHaveLength(1);
    expect(cycle[0]!.message).toContain('"x" → "y" → "x"');
  });

  it('finds a self-loop and a long cycle without recursion limits', () => {
    const n = 20_000;
    const nodes = Array.from({ length: n }, (_, i) => node(`n${i}`, 'example.add'));
    const edges = Array.from({ length: n }, (_, i) => edge(`e${i}`, `n${i}.sum`, `n${(i + 1) % n}.terms`));
    nodes.push(node('self', 'example.add'));
    edges.push(edge('loop', 'self.sum', 'self.terms'));
    const cycles = validateGraph(doc(nodes, edges), registry).issues.filter((i) => i.code === 'graph.cycle');
    expect(cycles).toHaveLength(2);
    expect(cycles.map((c) => c.nodeId).sort()).toEqual(['n0', 'self']);
  });

  it('reports a missing required input and too many connections', () => {
    const d = doc(
      [
        node('a', 'example.number', { value: 1 }),
        node('f', 'example.format'),
        node('g', 'example.format'),
        node('p', 'test.pick'),
      ],
      [
        edge('e1', 'a.value', 'g.value'),
        edge('e2', 'a.value', 'g.value'),
        edge('e3', 'a.value', 'p.values'),
        edge('e4', 'a.value', 'p.values'),
        edge('e5', 'a.value', 'p.values'),
      ],
    );
    const issues = validateGraph(d, registry).issues;
    expect(issues.find((i) => i.code === 'input.missing')).toMatchObject({ path: ['nodes', 1], nodeId: 'f' });
    expect(issues.filter((i) => i.code === 'input.too-many').map((i) => i.edgeId)).toEqual(['e2', 'e5']);
  });

  it('reports params and per-connection settings that fail their schema', () => {
    const d = sampleDoc();
    d.nodes[0]!.params = { value: 'two' };
    d.edges[1]!.settings = { weight: 'heavy' };
    const issues = validateGraph(d, registry).issues;
    expect(issues.find((i) => i.code === 'params.invalid')?.path).toEqual(['nodes', 0, 'params', 'value']);
    expect(issues.find((i) => i.code === 'edge.settings-invalid')?.path).toEqual([
      'edges',
      1,
      'settings',
      'weight',
    ]);
  });

  it("reports a node definition's own rule", () => {
    const issues = validateGraph(doc([node('p', 'test.pick', { kind: 'string' })]), registry).issues;
    expect(issues).toEqual([expect.objectContaining({ code: 'pick.empty', path: ['nodes', 0] })]);
  });

  it('returns every problem at once', () => {
    const d = sampleDoc();
    d.nodes.push(node('x', 'nope'), node('f2', 'example.format'));
    d.nodes[0]!.params = {};
    d.edges.push(edge('e9', 'ghost.value', 'sum.terms'));
    expect(new Set(codes(d))).toEqual(
      new Set(['node.unknown-type', 'input.missing', 'params.invalid', 'edge.dangling']),
    );
  });

  it('gives the same answer for frozen documents and follows their edits', () => {
    const frozen = produce(sampleDoc(), () => {});
    expect(Object.isFrozen(frozen.nodes[0])).toBe(true);
    expect(validateGraph(frozen, registry).ok).toBe(true);
    const edited = produce(frozen, (d) => {
      d.nodes[0]!.params = { value: 'x' };
    });
    expect(codes(edited)).toEqual(['params.invalid']);
    expect(validateGraph(frozen, registry).ok).toBe(true);
  });

  it('never throws on random JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const r = validateGraph(value, registry);
        expect(r.ok).toBe(r.issues.length === 0);
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(
        fc.record({
          format: fc.constant('loraflow.graph'),
          version: fc.constant(1),
          nodes: fc.array(
            fc.oneof(
              fc.jsonValue(),
              fc.record({ id: fc.string(), type: fc.string(), params: fc.jsonValue() }),
            ),
          ),
          edges: fc.array(fc.jsonValue()),
        }),
        (value) => {
          for (const i of validateGraph(value, registry).issues) expect(typeof i.message).toBe('string');
        },
      ),
      { numRuns: 300 },
    );
  });

  it('never throws on random mutations of a valid graph', () => {
    const ids = ['a', 'b', 'sum', 'text', 'ghost', '__proto__', 'constructor'];
    const ports = ['value', 'terms', 'sum', 'text', 'toString', '__proto__'];
    const types = ['example.number', 'example.add', 'example.format', 'test.pick', 'nope', 'toString'];
    const mutation = fc.oneof(
      fc.record({
        kind: fc.constant('node-field' as const),
        i: fc.nat(5),
        field: fc.constantFrom('id', 'type', 'params', 'position', 'label'),
        value: fc.oneof(fc.jsonValue(), fc.constantFrom(...ids), fc.constantFrom(...types)),
      }),
      fc.record({
        kind: fc.constant('edge-end' as const),
        i: fc.nat(5),
        end: fc.constantFrom('from', 'to'),
        node: fc.constantFrom(...ids),
        port: fc.constantFrom(...ports),
      }),
      fc.record({
        kind: fc.constant('edge-field' as const),
        i: fc.nat(5),
        field: fc.constantFrom('id', 'settings', 'from', 'to'),
        value: fc.jsonValue(),
      }),
      fc.record({
        kind: fc.constant('add-edge' as const),
        from: fc.constantFrom(...ids),
        fp: fc.constantFrom(...ports),
        to: fc.constantFrom(...ids),
        tp: fc.constantFrom(...ports),
      }),
      fc.record({
        kind: fc.constant('drop' as const),
        list: fc.constantFrom('nodes', 'edges'),
        i: fc.nat(5),
      }),
      fc.record({
        kind: fc.constant('duplicate' as const),
        list: fc.constantFrom('nodes', 'edges'),
        i: fc.nat(5),
      }),
      fc.record({
        kind: fc.constant('top' as const),
        field: fc.constantFrom('format', 'version', 'nodes', 'edges', 'meta', 'name'),
        value: fc.jsonValue(),
      }),
    );
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 8 }), (mutations) => {
        const d = JSON.parse(JSON.stringify(sampleDoc())) as Record<string, unknown> & {
          nodes: Record<string, unknown>[];
          edges: Record<string, unknown>[];
        };
        for (const m of mutations) {
          const nodes = Array.isArray(d.nodes) ? d.nodes : [];
          const edges = Array.isArray(d.edges) ? d.edges : [];
          switch (m.kind) {
            case 'node-field':
              if (nodes[m.i] && typeof nodes[m.i] === 'object') nodes[m.i]![m.field] = m.value;
              break;
            case 'edge-end':
              if (edges[m.i] && typeof edges[m.i] === 'object')
                edges[m.i]![m.end] = { node: m.node, port: m.port };
              break;
            case 'edge-field':
              if (edges[m.i] && typeof edges[m.i] === 'object') edges[m.i]![m.field] = m.value;
              break;
            case 'add-edge':
              edges.push({
                id: `m${edges.length}`,
                from: { node: m.from, port: m.fp },
                to: { node: m.to, port: m.tp },
              });
              break;
            case 'drop':
              (m.list === 'nodes' ? nodes : edges).splice(m.i, 1);
              break;
            case 'duplicate': {
              const list = m.list === 'nodes' ? nodes : edges;
              if (list[m.i]) list.push(JSON.parse(JSON.stringify(list[m.i])));
              break;
            }
            case 'top':
              (d as Record<string, unknown>)[m.field] = m.value;
              break;
          }
        }
        const r = validateGraph(d, registry);
        expect(r.ok).toBe(r.issues.length === 0);
        for (const i of r.issues) {
          expect(Array.isArray(i.path)).toBe(true);
          expect(i.code).toMatch(/^[a-z]+[.-][a-z.-]+$/);
          expect(i.message.length).toBeGreaterThan(10);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('shape fast path', () => {
  it('accepts only what the zod schemas accept', () => {
    // objects as a caller may build them: plain, without a prototype, or instances of a class
    class Holder {}
    const anyObject = <T extends object>(a: fc.Arbitrary<T>): fc.Arbitrary<unknown> =>
      fc.oneof(
        a,
        a.map((o) => Object.assign(Object.create(null) as object, o)),
        a.map((o) => Object.assign(new Holder(), o)),
      );
    const end = fc.oneof(anyObject(fc.record({ node: fc.string(), port: fc.string() })), fc.jsonValue());
    fc.assert(
      fc.property(
        fc.oneof(
          fc.jsonValue(),
          anyObject(
            fc.record(
              {
                id: fc.oneof(fc.string(), fc.jsonValue()),
                type: fc.oneof(fc.string(), fc.jsonValue()),
                params: fc.oneof(fc.jsonValue(), anyObject(fc.dictionary(fc.string(), fc.jsonValue()))),
                position: fc.oneof(anyObject(fc.record({ x: fc.double(), y: fc.double() })), fc.jsonValue()),
                label: fc.jsonValue(),
                from: end,
                to: end,
                settings: fc.oneof(fc.jsonValue(), anyObject(fc.dictionary(fc.string(), fc.jsonValue()))),
              },
              { requiredKeys: [] },
            ),
          ),
        ),
        (value) => {
          if (looksLikeNode(value)) expect(GraphNodeSchema.safeParse(value).success).toBe(true);
          if (looksLikeEdge(value)) expect(GraphEdgeSchema.safeParse(value).success).toBe(true);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('node rules', () => {
  const source = defineNode({
    type: 'rule.source',
    version: 1,
    params: z.object({}),
    outputs: { out: { type: t.number() } },
    async run() {
      return { out: 1 };
    },
  });
  const mixer = defineNode({
    type: 'rule.mixer',
    version: 1,
    params: z.object({}),
    inputs: { parts: { type: t.number(), multiple: true, settings: z.object({ weight: z.number() }) } },
    outputs: { out: { type: t.number() } },
    validate: ({ inputSettings }) =>
      (inputSettings.parts ?? []).flatMap((s, index) =>
        (s.weight as number) > 1
          ? [
              {
                code: 'mixer.too-heavy',
                message: `part ${index + 1} weighs more than 1.`,
                path: ['settings', 'weight'],
                connection: { port: 'parts', index },
              },
            ]
          : [],
      ),
    async run() {
      return { out: 1 };
    },
  });
  const registry = createRegistry(definePack({ name: 'rules', nodes: [source, mixer] }));

  it("see each connection's settings, and a problem of one connection points at its edge", () => {
    const d = doc(
      [node('a', 'rule.source'), node('b', 'rule.source'), node('m', 'rule.mixer')],
      [edge('e1', 'a.out', 'm.parts', { weight: 0.5 }), edge('e2', 'b.out', 'm.parts', { weight: 3 })],
    );
    const result = validateGraph(d, registry);
    expect(result.issues).toEqual([
      {
        path: ['edges', 1, 'settings', 'weight'],
        code: 'mixer.too-heavy',
        message: 'Node "m": part 2 weighs more than 1.',
        nodeId: 'm',
        edgeId: 'e2',
      },
    ]);
  });
});
