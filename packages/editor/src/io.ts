import { type GraphDocument, type Issue, loadDocument, type Result } from '@loraflow/core';

/**
 * Reads a graph document from JSON text: parse errors and shape problems come back as issues with a
 * path, a code and a sentence, never as a throw.
 *
 * @example
 * const r = parseDocumentText(await file.text());
 * if (r.ok) store.replaceDocument(r.value, { undoable: true });
 */
export function parseDocumentText(text: string): Result<GraphDocument> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const issue: Issue = {
      path: [],
      code: 'import.invalid-json',
      message: `The file is not JSON: ${error instanceof Error ? error.message : String(error)}.`,
    };
    return { ok: false, issues: [issue] };
  }
  return loadDocument(value);
}

/**
 * The document as the JSON text an export writes (two-space indented, newline at the end).
 *
 * @example
 * const text = serializeDocument(store.document);
 */
export function serializeDocument(doc: GraphDocument): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/** Offers the document as a file download named after it. */
export function downloadDocument(doc: GraphDocument): void {
  const blob = new Blob([serializeDocument(doc)], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = `${(doc.name ?? 'graph').replace(/[^A-Za-z0-9._-]+/g, '-')}.loraflow.json`;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}
