// loadDocument for a caller that asks about the same document again and again (an editor's keystrokes):
// only the nodes and edges it has not admitted before are walked; the verdict is loadDocument's, but for
// values changed in place inside params or settings it admitted before (the engine re-checks those).
import {
  type GraphDocument,
  type GraphEdge,
  type GraphNode,
  isExactEdge,
  isExactNode,
  isExactShell,
  loadDocument,
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

// What a remembered part held when it was admitted: its params (a node) or settings (an edge), or NONE.
const NONE = Symbol('none');

/**
 * `loadDocument(input, { keepIdentity: true })` (and the caller's `refuses`) with a memory: the nodes
 * and edges of a document it admitted are remembered by identity (weakly). Every node's and edge's own
 * fields are looked at each time (shallow: ids, type, label, position, the ends), but the params or
 * settings it nests are walked (limits, `refuses`) only when they are not the object admitted before.
 * Values changed in place inside remembered params or settings are not seen here: the engine's
 * analysis compares those with its own copy and re-checks a changed node with the document limits
 * (analysis-cache.ts), so a question about such a document is still refused. A document it cannot
 * decide part by part is loaded whole, which says what is wrong and where. Not for runs: a run gets a
 * private copy (`loadDocument` without `keepIdentity`).
 *
 * @example
 * const admit = createDocumentAdmission();
 * admit(doc); // walks everything once
 * admit({ ...doc, nodes: doc.nodes.with(3, { ...doc.nodes[3]!, params: { value: 2 } }) }); // walks one node
 */
export function createDocumentAdmission(options: AdmissionOptions = {}): (input: unknown) => Admission {
  const refuses = options.refuses ?? (() => false);
  // part → the params or settings object it held when admitted (weak: it lives as long as the part)
  const admitted = new WeakMap<object, unknown>();
  const nested = (part: GraphNode | GraphEdge) => ('type' in part ? part.params : part.settings) ?? NONE;

  function whole(input: unknown): Admission {
    const loaded = loadDocument(input, { keepIdentity: true });
    if (!loaded.ok) return { ok: false, issues: loaded.issues };
    if (refuses(loaded.value)) return { ok: false, issues: [], refused: true };
    if (loaded.value === input) {
      for (const node of loaded.value.nodes) admitted.set(node, nested(node));
      for (const edge of loaded.value.edges) admitted.set(edge, nested(edge));
    }
    return { ok: true, value: loaded.value };
  }

  /**
   * One node or edge: its own fields are checked every time (a shallow look, the same as loadDocument's);
   * what it nests deeper (params, settings) is walked only when it is not the object admitted before.
   */
  function admits(part: unknown, exact: (v: unknown) => boolean): boolean {
    if (!exact(part)) return false;
    const p = part as GraphNode | GraphEdge;
    if (admitted.get(p) === nested(p)) return true;
    if (documentLimitIssues(p, MAX_DOCUMENT_DEPTH - 2).length > 0 || refuses(p)) return false;
    admitted.set(p, nested(p));
    return true;
  }

  return (input) => {
    if (!isExactShell(input)) return whole(input);
    const { meta, name, nodes, edges } = input;
    // the meta and name are small and never remembered: checked every time
    if (meta !== undefined && (documentLimitIssues(meta, MAX_DOCUMENT_DEPTH - 1).length > 0 || refuses(meta)))
      return whole(input);
    if (name !== undefined && refuses(name)) return whole(input);
    for (let i = 0; i < nodes.length; i++) if (!admits(nodes[i], isExactNode)) return whole(input);
    for (let i = 0; i < edges.length; i++) if (!admits(edges[i], isExactEdge)) return whole(input);
    return { ok: true, value: input };
  };
}
