import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAX_CLIPBOARD_CHARS,
  MAX_IMPORT_BYTES,
  parseClipboardText,
  parseDocumentText,
  readDocumentFile,
  serializeClipboard,
  serializeDocument,
} from './io';
import { pipelineDocument } from './test/graphs';

describe('import and export', () => {
  it('round-trips a document through its exported text', () => {
    const r = parseDocumentText(serializeDocument(pipelineDocument));
    expect(r).toEqual({ ok: true, value: pipelineDocument });
  });

  it('answers text that is not JSON with a path, a code and a sentence', () => {
    const r = parseDocumentText('{ nope');
    expect(r.ok).toBe(false);
    expect(!r.ok && r.issues[0]).toMatchObject({ path: [], code: 'import.invalid-json' });
  });

  it('never throws on arbitrary text or JSON, and every issue has a path, a code and a sentence', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (text) => {
        const r = parseDocumentText(text);
        if (!r.ok) {
          for (const issue of r.issues) {
            expect(Array.isArray(issue.path)).toBe(true);
            expect(issue.code).toMatch(/^[a-z]+[.-]/);
            expect(issue.message.length).toBeGreaterThan(5);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('an imported file', () => {
  it('is refused past the bound with import.too-large before a byte of it is read', async () => {
    let read = false;
    const file = {
      size: MAX_IMPORT_BYTES + 1,
      text: async () => {
        read = true;
        return serializeDocument(pipelineDocument);
      },
    };
    const r = await readDocumentFile(file);
    expect(read).toBe(false);
    expect(!r.ok && r.issues[0]).toMatchObject({ path: [], code: 'import.too-large' });
  });

  it('up to the bound is read as its text is', async () => {
    const text = serializeDocument(pipelineDocument);
    const r = await readDocumentFile(new Blob([text]));
    expect(r).toEqual({ ok: true, value: pipelineDocument });
  });

  it('that cannot be read says so with a code instead of throwing', async () => {
    const r = await readDocumentFile({
      size: 10,
      text: () => Promise.reject(new Error('gone from the disk')),
    });
    expect(!r.ok && r.issues[0]).toMatchObject({ path: [], code: 'import.unreadable' });
    expect(!r.ok && r.issues[0]?.message).toContain('gone from the disk');
  });
});

describe('the system clipboard', () => {
  const nodes = pipelineDocument.nodes.slice(0, 3);
  const edges = pipelineDocument.edges.filter(
    (e) => nodes.some((n) => n.id === e.from.node) && nodes.some((n) => n.id === e.to.node),
  );

  it('round-trips copied nodes and the edges between them through the clipboard text', () => {
    expect(parseClipboardText(serializeClipboard({ nodes, edges }))).toEqual({
      ok: true,
      value: { nodes, edges },
    });
    // a whole graph document pasted gives its nodes too
    expect(parseClipboardText(serializeDocument(pipelineDocument))).toEqual({
      ok: true,
      value: { nodes: pipelineDocument.nodes, edges: pipelineDocument.edges },
    });
  });

  it('tells other text, other JSON and damaged loraflow nodes apart, each with a code and a sentence', () => {
    const first = (text: string) => {
      const r = parseClipboardText(text);
      return r.ok ? undefined : r.issues[0];
    };
    expect(first('')).toMatchObject({ code: 'clipboard.empty' });
    expect(first('a lighthouse at dusk')).toMatchObject({ code: 'clipboard.not-loraflow' });
    expect(first('{"nodes": []}')).toMatchObject({ code: 'clipboard.not-loraflow' });
    expect(first('{"format": "loraflow.clipboard", "nodes": 3, "edges": []}')).toMatchObject({
      code: 'clipboard.invalid',
      path: ['nodes'],
    });
    const damaged = first(serializeClipboard({ nodes: [{ ...nodes[0]!, type: '' }], edges: [] }));
    expect(damaged?.path).toEqual(['nodes', 0, 'type']);
    expect(damaged?.message).toMatch(/^The clipboard's loraflow nodes are damaged: /);
  });

  it('refuses clipboard text past the size bound before reading it, even when it holds valid loraflow nodes', () => {
    const valid = serializeClipboard({ nodes: [nodes[0]!], edges: [] });
    expect(parseClipboardText(valid + ' '.repeat(MAX_CLIPBOARD_CHARS - valid.length)).ok).toBe(true);
    const r = parseClipboardText(valid + ' '.repeat(MAX_CLIPBOARD_CHARS - valid.length + 1));
    expect(r).toMatchObject({ ok: false, issues: [{ code: 'clipboard.too-large', path: [] }] });
    if (!r.ok)
      expect(r.issues[0]?.message).toMatch(/8\.0 million characters; a paste reads at most 8 million/);
  });

  it('never throws on arbitrary text or clipboard-shaped JSON, and every issue has a path, a code and a sentence', () => {
    const clipboardShaped = fc
      .record({
        format: fc.constantFrom('loraflow.clipboard', 'loraflow.graph', 'other'),
        version: fc.oneof(fc.constant(1), fc.jsonValue()),
        nodes: fc.oneof(fc.array(fc.jsonValue()), fc.jsonValue()),
        edges: fc.oneof(fc.array(fc.jsonValue()), fc.jsonValue()),
      })
      .map((v) => JSON.stringify(v));
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), clipboardShaped), (text) => {
        const r = parseClipboardText(text);
        if (r.ok) return;
        expect(r.issues.length).toBeGreaterThan(0);
        for (const issue of r.issues) {
          expect(Array.isArray(issue.path)).toBe(true);
          expect(issue.code).toMatch(/\S/);
          expect(issue.message).toMatch(/\S/);
        }
      }),
      { numRuns: 300 },
    );
  });
});
