// loadDocument for a caller that asks about the same document again and again (an editor's keystrokes):
// only the nodes and edges it has not admitted before are walked; the verdict is loadDocument's.
import {
  EDGE_KEYS,
  type GraphDocument,
  hasOnlyKeys,
  isExactEdge,
  isExactNode,
  isExactShell,
  loadDocument,
  NODE_KEYS,
  POSITION_KEYS,
} from './document';
import { documentLimitIssues, MAX_DOCUMENT_DEPTH } from './document-limits';
import type { Issue } from './issues';

/**
 * What {@link createDocumentAdmission} says of a document: the input itself (never a copy) when it is
 * admitted, else loadDocument's issues, or `refused` when the caller's own check refused it.
 *
 * @example
 * const a: Admission = { ok: false, issues: [], refused: true };
 */
export type Admission = { ok: true; value: GraphDocument } | { ok: false; issues: Issue[]; refused?: true };

/**
 * Options of {@link createDocumentAdmission}.
 *
 * @example
 * createDocumentAdmission({ refuses: (value) => containsSecret(canonicalJson(value), [apiKey]) });
 */
export interface AdmissionOptions {
  /**
   * A check of the caller's own (a secret in the text): given the whole document when it is loaded
   * whole, else each part not admitted before (a node, an edge, the meta, the name). It must be such
   * that a document refused whole has a refused part (a substring search of canonical JSON is).
   */
  refuses?: (value: unknown) => boolean;
}

/** A part's nested objects when it was admitted: the same objects again need no walk. */
interface Seen {
  a: unknown;
  b: unknown;
  c: unknown;
}

/**
 * `loadDocument(input, { keepIdentity: true })` (and the caller's `refuses`) with a memory: the nodes
 * and edges of a document it admitted are remembered by identity (weakly), and a later document is
 * walked only where it has new parts, or parts whose nested objects (params, position, from, to,
 * settings) were replaced or grew a key. Values changed in place inside a remembered params or
 * settings object are not seen here: the engine's analysis compares those with its own copy and
 * re-checks a changed node with the document limits (analysis-cache.ts), so a question about such a
 * document is still refused. A document it cannot decide part by part is loaded whole, which says what
 * is wrong and where. Not for runs: a run gets a private copy (`loadDocument` without `keepIdentity`).
 *
 * @example
 * const admit = createDocumentAdmission();
 * admit(doc); // walks everything once
 * admit({ ...doc, nodes: doc.nodes.with(3, { ...doc.nodes[3]!, params: { value: 2 } }) }); // walks one node
 */
export function createDocumentAdmission(options: AdmissionOptions = {}): (input: unknown) => Admission {
  const refuses = options.refuses ?? (() => false);
  const admitted = new WeakMap<object, Seen>();

  function whole(input: unknown): Admission {
    const loaded = loadDocument(input, { keepIdentity: true });
    if (!loaded.ok) return { ok: false, issues: loaded.issues };
    if (refuses(loaded.value)) return { ok: false, issues: [], refused: true };
    if (loaded.value === input) {
      for (const node of loaded.value.nodes) admitted.set(node, seenNode(node));
      for (const edge of loaded.value.edges) admitted.set(edge, seenEdge(edge));
    }
    return { ok: true, value: loaded.value };
  }

  /** A node admitted before whose nested objects are the same, with no new key; its position re-checked (cheap). */
  function knownNode(node: unknown): boolean {
    const seen = node !== null && typeof node === 'object' ? admitted.get(node) : undefined;
    if (!seen) return false;
    const n = node as Record<string, unknown>;
    if (!hasOnlyKeys(n, NODE_KEYS) || n.params !== seen.a || n.position !== seen.b) return false;
    const at = n.position as Record<string, unknown> | undefined;
    // the engine never reads positions, so nobody else would see one changed in place
    return (
      at === undefined || (isFiniteNumber(at.x) && isFiniteNumber(at.y) && hasOnlyKeys(at, POSITION_KEYS))
    );
  }

  function knownEdge(edge: unknown): boolean {
    const seen = edge !== null && typeof edge === 'object' ? admitted.get(edge) : undefined;
    if (!seen) return false;
    const e = edge as Record<string, unknown>;
    return hasOnlyKeys(e, EDGE_KEYS) && e.from === seen.a && e.to === seen.b && e.settings === seen.c;
  }

  /** A part not admitted before, checked on its own (exact, within the limits two levels down, not refused). */
  function fresh(part: unknown, exact: (v: unknown) => boolean, seen: (v: never) => Seen): boolean {
    if (!exact(part) || documentLimitIssues(part, MAX_DOCUMENT_DEPTH - 2).length > 0 || refuses(part))
      return false;
    admitted.set(part as object, seen(part as never));
    return true;
  }

  return (input) => {
    if (!isExactShell(input)) return whole(input);
    const { meta, name, nodes, edges } = input;
    // the meta and name are small and never remembered: checked every time
    if (meta !== undefined && (documentLimitIssues(meta, MAX_DOCUMENT_DEPTH - 1).length > 0 || refuses(meta)))
      return whole(input);
    if (name !== undefined && refuses(name)) return whole(input);
    for (let i = 0; i < nodes.length; i++) {
      const node = nodes[i];
      if (!knownNode(node) && !fresh(node, isExactNode, seenNode)) return whole(input);
    }
    for (let i = 0; i < edges.length; i++) {
      const edge = edges[i];
      if (!knownEdge(edge) && !fresh(edge, isExactEdge, seenEdge)) return whole(input);
    }
    return { ok: true, value: input };
  };
}

function seenNode(node: GraphDocument['nodes'][number]): Seen {
  return { a: node.params, b: node.position, c: undefined };
}

function seenEdge(edge: GraphDocument['edges'][number]): Seen {
  return { a: edge.from, b: edge.to, c: edge.settings };
}

function isFiniteNumber(v: unknown): boolean {
  return typeof v === 'number' && Number.isFinite(v);
}
