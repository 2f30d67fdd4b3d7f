import {
  type GraphDocument,
  type GraphEdge,
  type GraphNode,
  type Issue,
  loadDocument,
  type Result,
} from '@loraflow/core';
import { parseInEnglish } from '@loraflow/runtime';
import { z } from 'zod/mini';

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
 * The largest file an import reads (64 MiB, as the CLI's graph files): past it the import is refused with
 * `import.too-large` before a byte is read, so a video or a disk image dropped by mistake cannot freeze the page.
 *
 * @example
 * if (file.size > MAX_IMPORT_BYTES) showTooLarge();
 */
export const MAX_IMPORT_BYTES = 64 * 1024 * 1024;

/**
 * Reads a graph document from a file the person chose or dropped: too large, unreadable, not JSON or not a
 * document each come back as an issue with a path, a code and a sentence, never as a throw.
 *
 * @example
 * const r = await readDocumentFile(input.files[0]);
 * if (r.ok) store.replaceDocument(r.value, { undoable: true });
 */
export async function readDocumentFile(file: {
  readonly size: number;
  text(): Promise<string>;
}): Promise<Result<GraphDocument>> {
  if (file.size > MAX_IMPORT_BYTES) {
    const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;
    return {
      ok: false,
      issues: [
        {
          path: [],
          code: 'import.too-large',
          message: `The file holds ${mib(file.size)}; an import reads at most ${mib(MAX_IMPORT_BYTES)}.`,
        },
      ],
    };
  }
  let text: string;
  try {
    text = await file.text();
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return {
      ok: false,
      issues: [{ path: [], code: 'import.unreadable', message: `The file could not be read: ${why}.` }],
    };
  }
  return parseDocumentText(text);
}

/**
 * Nodes and the edges between them, as copied to (and pasted from) the system clipboard.
 *
 * @example
 * const clip: ClipboardNodes = { nodes: [node], edges: [] };
 */
export interface ClipboardNodes {
  nodes: GraphNode[];
  edges: GraphEdge[];
}

/**
 * The longest clipboard text a paste reads (8 million characters, some 30,000 nodes): past it the paste is
 * refused with `clipboard.too-large` before any parsing, so a log or a file pasted by mistake cannot freeze the page.
 *
 * @example
 * parseClipboardText(' '.repeat(MAX_CLIPBOARD_CHARS + 1)); // { ok: false, issues: [{ code: 'clipboard.too-large', ... }] }
 */
export const MAX_CLIPBOARD_CHARS = 8_000_000;

/** The clipboard's envelope; its nodes and edges are then checked as a document's are. */
const ClipboardSchema = z.object({
  format: z.literal('loraflow.clipboard'),
  version: z.optional(z.literal(1)),
  nodes: z.array(z.unknown()),
  edges: z.array(z.unknown()),
});

const clipIssue = (code: string, message: string, path: Issue['path'] = []): Result<ClipboardNodes> => ({
  ok: false,
  issues: [{ path, code, message }],
});

/**
 * The JSON text a copy puts on the system clipboard: `{ format: 'loraflow.clipboard', version: 1, nodes, edges }`.
 *
 * @example
 * await navigator.clipboard.writeText(serializeClipboard({ nodes, edges }));
 */
export function serializeClipboard(clip: ClipboardNodes): string {
  return JSON.stringify({ format: 'loraflow.clipboard', version: 1, nodes: clip.nodes, edges: clip.edges });
}

/**
 * Reads nodes from system clipboard text: a loraflow clipboard (what a copy writes) or a whole graph document.
 * Anything else comes back as one issue with a path, a code and a sentence, never as a throw.
 *
 * @example
 * const r = parseClipboardText(event.clipboardData.getData('text/plain'));
 * if (r.ok) store.paste(r.value); else store.notice('error', r.issues[0].code, r.issues[0].message);
 */
export function parseClipboardText(text: string): Result<ClipboardNodes> {
  // measured before trim and JSON.parse: both walk the whole text on the main thread
  if (text.length > MAX_CLIPBOARD_CHARS)
    return clipIssue(
      'clipboard.too-large',
      `The clipboard holds ${(text.length / 1e6).toFixed(1)} million characters; a paste reads at most ${MAX_CLIPBOARD_CHARS / 1e6} million.`,
    );
  if (text.trim() === '') return clipIssue('clipboard.empty', 'The clipboard holds no text to paste.');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return clipIssue('clipboard.not-loraflow', 'The clipboard holds text, not loraflow nodes.');
  }
  const format =
    typeof value === 'object' && value !== null ? (value as { format?: unknown }).format : undefined;
  if (format === 'loraflow.graph') {
    const doc = loadDocument(value);
    return doc.ok ? { ok: true, value: { nodes: doc.value.nodes, edges: doc.value.edges } } : doc;
  }
  const envelope = parseInEnglish(ClipboardSchema, value);
  if (!envelope.success) {
    if (format !== 'loraflow.clipboard')
      return clipIssue('clipboard.not-loraflow', 'The clipboard holds JSON, but not loraflow nodes.');
    const first = envelope.error.issues[0];
    return clipIssue(
      'clipboard.invalid',
      `The clipboard's loraflow nodes are damaged: ${first?.message ?? 'invalid'}.`,
      (first?.path ?? []).filter((k): k is string | number => typeof k !== 'symbol'),
    );
  }
  const doc = loadDocument({
    format: 'loraflow.graph',
    version: 1,
    nodes: envelope.data.nodes,
    edges: envelope.data.edges,
  });
  if (doc.ok) return { ok: true, value: { nodes: doc.value.nodes, edges: doc.value.edges } };
  return {
    ok: false,
    issues: doc.issues.map((issue) => ({
      ...issue,
      message: `The clipboard's loraflow nodes are damaged: ${issue.message}`,
    })),
  };
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
