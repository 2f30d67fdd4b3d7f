import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GRAPH_VERSION, graphDocumentJsonSchema, loadDocument, type Migration } from './document';

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
