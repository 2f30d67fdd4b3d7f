import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod/mini';
import {
  GRAPH_FORMAT,
  GRAPH_VERSION,
  GraphDocumentSchema,
  graphDocumentJsonSchema,
  isExactDocument,
  loadDocument,
  type Migration,
} from './document';

const minimal = { format: 'loraflow.graph', version: 1, nodes: [], edges: [] };

describe('loadDocument', () => {
  it('accepts a current document and keeps edge order', () => {
    const doc = {
      ...minimal,
      nodes: [{ id: 'a', type: 'x' }],
      edges: [
        { id: 'e2', from: { node: 'a', port: 'o' }, to: { node: 'a', port: 'i' } },
        { id: 'e1', from: { node: 'a', port: 'o' }, to: { node: 'a', port: 'i' }, settings: { scale: 0.3 } },
      ],
    };
    const r = loadDocument(doc);
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.value.edges.map((e) => e.id)).toEqual(['e2', 'e1']);
  });

  it('refuses a document from a future version with a sentence that says what to do', () => {
    const r = loadDocument({ ...minimal, version: GRAPH_VERSION + 1 });
    expect(r).toMatchObject({
      ok: false,
      issues: [{ path: ['version'], code: 'document.version-unsupported' }],
    });
    if (!r.ok) expect(r.issues[0]!.message).toMatch(/upgrade loraflow/);
  });

  it('refuses something that is not a loraflow graph', () => {
    expect(loadDocument([])).toMatchObject({ ok: false, issues: [{ code: 'document.invalid' }] });
    expect(loadDocument({ ...minimal, format: 'comfy' })).toMatchObject({
      ok: false,
      issues: [{ path: ['format'], code: 'document.format' }],
    });
  });

  it('runs migrations from an older version through the hook', () => {
    const v0: Migration = {
      from: 0,
      migrate: (d) => ({ format: d.format, version: 1, nodes: d.nodes, edges: d.links }),
    };
    const r = loadDocument(
      { format: 'loraflow.graph', version: 0, nodes: [], links: [] },
      { migrations: [v0] },
    );
    expect(r).toEqual({ ok: true, value: minimal });
  });

  it('reports a migration that throws or skips a version as an issue', () => {
    const broken: Migration = {
      from: 0,
      migrate: () => {
        throw new Error('bad field');
      },
    };
    expect(loadDocument({ ...minimal, version: 0 }, { migrations: [broken] })).toMatchObject({
      ok: false,
      issues: [{ code: 'document.migration-failed' }],
    });
    const wrong: Migration = { from: 0, migrate: (d) => ({ ...d, version: 7 }) };
    expect(loadDocument({ ...minimal, version: 0 }, { migrations: [wrong] })).toMatchObject({
      ok: false,
      issues: [{ code: 'document.migration-failed' }],
    });
    expect(loadDocument({ ...minimal, version: 0 })).toMatchObject({
      ok: false,
      issues: [{ code: 'document.version-unsupported' }],
    });
  });

  it('gives a JSON path for each shape problem', () => {
    const r = loadDocument({ ...minimal, nodes: [{ id: '', type: 'x' }, { id: 'b' }] });
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.issues.map((i) => i.path)).toEqual([
        ['nodes', 0, 'id'],
        ['nodes', 1, 'type'],
      ]);
  });

  it('never throws on arbitrary JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const r = loadDocument(value);
        expect(typeof r.ok).toBe('boolean');
      }),
    );
  });
});

describe('graphDocumentJsonSchema', () => {
  it('publishes the document shape as JSON Schema', () => {
    const schema = graphDocumentJsonSchema() as { properties: Record<string, unknown>; required: string[] };
    expect(schema.required).toEqual(expect.arrayContaining(['format', 'version', 'nodes', 'edges']));
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining(['format', 'version', 'name', 'meta', 'nodes', 'edges']),
    );
    expect(JSON.parse(JSON.stringify(schema))).toEqual(schema);
  });
});

// The loose schemas with nothing to strip: the oracle the hand-written exactness check is held to.
const id = z.string().check(z.minLength(1), z.maxLength(200));
const end = z.strictObject({ node: id, port: z.string().check(z.minLength(1)) });
const record = z.record(z.string(), z.unknown());
const ExactOracle = z.strictObject({
  format: z.literal(GRAPH_FORMAT),
  version: z.literal(GRAPH_VERSION),
  name: z.optional(z.string()),
  meta: z.optional(record),
  nodes: z.array(
    z.strictObject({
      id,
      type: z.string().check(z.minLength(1)),
      params: z.optional(record),
      position: z.optional(z.strictObject({ x: z.number(), y: z.number() })),
      label: z.optional(z.string()),
    }),
  ),
  edges: z.array(z.strictObject({ id, from: end, to: end, settings: z.optional(record) })),
});

describe('loadDocument with keepIdentity', () => {
  const doc = {
    format: GRAPH_FORMAT,
    version: GRAPH_VERSION,
    nodes: [{ id: 'a', type: 'example.number', params: { value: 1 }, position: { x: 0, y: 0 } }],
    edges: [],
  };

  it('hands back the very object it was given when the document is already exact', () => {
    const r = loadDocument(doc, { keepIdentity: true });
    expect(r.ok && r.value).toBe(doc);
  });

  it('still copies without the option, and strips unknown keys into a copy with it', () => {
    const plain = loadDocument(doc);
    expect(plain.ok && plain.value).not.toBe(doc);
    const extra = { ...doc, nodes: [{ ...doc.nodes[0], colour: 'red' }] };
    const r = loadDocument(extra, { keepIdentity: true });
    expect(r.ok && r.value).not.toBe(extra);
    expect(r.ok && r.value.nodes[0]).not.toHaveProperty('colour');
  });

  it('refuses an invalid document with the same issues as without the option', () => {
    const bad = { ...doc, nodes: [{ id: '', type: 'x' }] };
    expect(loadDocument(bad, { keepIdentity: true })).toEqual(loadDocument(bad));
  });

  // Mutations of a valid document: a key too many, a wrong type, an empty id, a non-finite position...
  const leaf = fc.oneof(
    fc.constant(undefined),
    fc.constant(null),
    fc.constant(''),
    fc.string({ maxLength: 3 }),
    fc.constant('x'.repeat(201)),
    fc.double(),
    fc.constant(Number.NaN),
    fc.constant(Number.POSITIVE_INFINITY),
    fc.constant([]),
    fc.constant({}),
    fc.constant(new Map()),
    fc.dictionary(fc.string({ maxLength: 3 }), fc.integer(), { maxKeys: 2 }),
  );
  // mostly valid, so both answers are met often: one field in ten is broken, one object in ten has a key too many
  const mostly = <T>(valid: fc.Arbitrary<T>) =>
    fc.oneof({ arbitrary: valid, weight: 10 }, { arbitrary: leaf, weight: 1 });
  const rarelyExtra = <T extends Record<string, unknown>>(arb: fc.Arbitrary<T>) =>
    fc.tuple(arb, fc.integer({ min: 0, max: 9 })).map(([o, k]) => {
      if (k > 0) delete o.extra;
      return o;
    });
  const params = fc.dictionary(fc.string({ maxLength: 3 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 2 });
  const node = rarelyExtra(
    fc.record(
      {
        id: mostly(fc.string({ minLength: 1, maxLength: 4 })),
        type: mostly(fc.constant('example.number')),
        params: mostly(params),
        position: mostly(
          fc.record({ x: fc.double({ noNaN: true, noDefaultInfinity: true }), y: fc.integer() }),
        ),
        label: mostly(fc.string({ maxLength: 3 })),
        extra: leaf,
      },
      { requiredKeys: ['id', 'type'] },
    ),
  );
  const endpoint = rarelyExtra(
    fc.record({
      node: mostly(fc.string({ minLength: 1, maxLength: 3 })),
      port: mostly(fc.string({ minLength: 1, maxLength: 3 })),
      extra: leaf,
    }),
  );
  const edge = rarelyExtra(
    fc.record(
      {
        id: mostly(fc.string({ minLength: 1, maxLength: 3 })),
        from: mostly(endpoint),
        to: mostly(endpoint),
        settings: mostly(params),
        extra: leaf,
      },
      { requiredKeys: ['id', 'from', 'to'] },
    ),
  );
  const document = rarelyExtra(
    fc.record(
      {
        format: mostly(fc.constant(GRAPH_FORMAT)),
        version: mostly(fc.constant(GRAPH_VERSION)),
        name: mostly(fc.string({ maxLength: 3 })),
        meta: mostly(params),
        nodes: mostly(fc.array(node, { maxLength: 3 })),
        edges: mostly(fc.array(edge, { maxLength: 2 })),
        extra: leaf,
      },
      { requiredKeys: ['format', 'version', 'nodes', 'edges'] },
    ),
  );

  it('calls a document exact exactly when the strict schemas accept it, and then zod would copy it unchanged', () => {
    let exactSeen = 0;
    fc.assert(
      fc.property(document, (value) => {
        const exact = isExactDocument(value);
        expect(exact).toBe(ExactOracle.safeParse(value).success);
        if (exact) {
          exactSeen++;
          expect(GraphDocumentSchema.parse(value)).toEqual(value);
        }
      }),
      { numRuns: 2000 },
    );
    // both answers must have been met, or the property proved nothing
    expect(exactSeen).toBeGreaterThan(20);
    expect(exactSeen).toBeLessThan(1980);
  });
});
