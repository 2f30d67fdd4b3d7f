import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDocumentText, serializeDocument } from './io';
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
