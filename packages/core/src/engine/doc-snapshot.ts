import type { GraphDocument, GraphEdge } from '../document';
import { cloneJson } from '../json';
import type { Analysis } from '../validate';
import { looksLikeNode } from '../validate';

/**
 * What a mutable document's analysis was computed from, kept beside it so the next call can tell,
 * by a walk with no hashing and no allocation, whether the analysis still holds. Internal to the
 * engine: a frozen document needs none of this (it cannot change).
 */
export interface DocSnapshot {
  analysis: Analysis;
  /** The registry's size when the analysis was made (packs only ever add). */
  stamp: string;
  format: unknown;
  version: unknown;
  name: unknown;
  /** Slot → a private copy of the node's params as the document held them (the parsed params when equal). */
  params: unknown[];
  /** The edge objects, in document order. */
  edges: GraphEdge[];
  /** Per edge: id, from.port, to.port (its node ids are the analysis's `ids` at `linkFrom`/`linkTo`). */
  edgeText: string[];
  /** Per edge: a private copy of its settings (undefined when it had none). */
  settings: unknown[];
}

/**
 * A snapshot of a document whose analysis found no issue, or undefined when there is nothing safe to
 * keep (issues make slots and positions diverge, so those documents are always analysed afresh).
 */
export function takeSnapshot(doc: unknown, analysis: Analysis, stamp: string): DocSnapshot | undefined {
  try {
    return snapshotOf(doc, analysis, stamp);
  } catch {
    // params that contain themselves, or getters that throw on a second read: nothing is kept
    return undefined;
  }
}

function snapshotOf(doc: unknown, analysis: Analysis, stamp: string): DocSnapshot | undefined {
  if (analysis.issues.length > 0 || doc === null || typeof doc !== 'object') return undefined;
  const d = doc as GraphDocument;
  if (!Array.isArray(d.nodes) || !Array.isArray(d.edges) || d.nodes.length !== analysis.size)
    return undefined;
  // with no issues every edge is a dependency, in document order
  if (analysis.linkFrom.length !== d.edges.length) return undefined;
  const params = new Array<unknown>(analysis.size);
  for (let s = 0; s < analysis.size; s++) params[s] = paramsSnapshot(analysis, s);
  const m = d.edges.length;
  const edges = d.edges.slice();
  // sized once: pushing 60k strings cost twice as much
  const edgeText = new Array<string>(m * 3);
  const settings = new Array<unknown>(m);
  for (let j = 0; j < m; j++) {
    const e = edges[j]!;
    edgeText[j * 3] = e.id;
    edgeText[j * 3 + 1] = e.from.port;
    edgeText[j * 3 + 2] = e.to.port;
    settings[j] = e.settings === undefined ? undefined : cloneJson(e.settings);
  }
  return {
    analysis,
    stamp,
    format: d.format,
    version: d.version,
    name: d.name,
    params,
    edges,
    edgeText,
    settings,
  };
}

/**
 * Re-takes the params copy of one slot (after an incremental re-check replaced its node); false
 * when they cannot be copied (they contain themselves), and the snapshot must be dropped.
 */
export function refreshParams(snapshot: DocSnapshot, slot: number): boolean {
  try {
    snapshot.params[slot] = paramsSnapshot(snapshot.analysis, slot);
    return true;
  } catch {
    return false;
  }
}

function paramsSnapshot(analysis: Analysis, slot: number): unknown {
  const raw = analysis.nodes[slot]!.params;
  if (raw === undefined) return undefined;
  // the parsed params are deeply frozen, so when they equal the raw ones they serve as the copy
  const parsed = analysis.checks[slot]!.params;
  return sameJson(raw, parsed) ? parsed : cloneJson(raw);
}

/**
 * How a document differs from its snapshot: `[]` when it is the same, the positions of nodes whose
 * object, params, label or position changed (same id and type) when only those did, and undefined
 * for anything else (an edge, an id, a type, the node count...), which needs a full analysis.
 * Never throws: a document that cannot even be walked counts as changed.
 */
export function changedSince(doc: unknown, snapshot: DocSnapshot): number[] | undefined {
  try {
    return diff(doc, snapshot);
  } catch {
    return undefined;
  }
}

function diff(doc: unknown, snap: DocSnapshot): number[] | undefined {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return undefined;
  const d = doc as GraphDocument;
  if (d.format !== snap.format || d.version !== snap.version || d.name !== snap.name) return undefined;
  // meta is only ever checked for its shape
  if (d.meta !== undefined && (d.meta === null || typeof d.meta !== 'object' || Array.isArray(d.meta)))
    return undefined;
  const { nodes, edges } = d;
  const a = snap.analysis;
  if (!Array.isArray(nodes) || !Array.isArray(edges) || nodes.length !== a.size) return undefined;
  if (edges.length !== snap.edges.length) return undefined;
  const text = snap.edgeText;
  const { ids, linkFrom, linkTo } = a;
  for (let j = 0; j < edges.length; j++) {
    const e = edges[j];
    if (e === undefined || e !== snap.edges[j]) return undefined;
    const k = j * 3;
    if (
      e.id !== text[k] ||
      e.from.node !== ids[linkFrom[j]!] ||
      e.from.port !== text[k + 1] ||
      e.to.node !== ids[linkTo[j]!] ||
      e.to.port !== text[k + 2] ||
      !sameJson(e.settings, snap.settings[j])
    )
      return undefined;
  }
  let changed: number[] | undefined;
  for (let i = 0; i < nodes.length; i++) {
    const node = nodes[i];
    if (node === null || typeof node !== 'object') return undefined;
    if (node.id !== a.ids[i] || node.type !== a.checks[i]!.type) return undefined;
    if (node !== a.nodes[i] || !looksLikeNode(node) || !sameJson(node.params, snap.params[i])) {
      if (!changed) changed = [];
      changed.push(i);
    }
  }
  return changed ?? [];
}

/**
 * True when two JSON values are equal (object keys in any order). `b` is a snapshot, plain JSON;
 * `a` may be anything a caller put in a document.
 *
 * @example
 * sameJson({ a: [1, 2], b: 'x' }, { b: 'x', a: [1, 2] }); // true
 */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(b)) {
    if (!Array.isArray(a) || a.length !== b.length) return false;
    for (let i = 0; i < b.length; i++) if (!sameJson(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(a)) return false;
  const proto = Object.getPrototypeOf(a);
  if (proto !== Object.prototype && proto !== null) return false;
  // same own keys, counted without allocating: every key of b is in a, and a has no more
  let count = 0;
  for (const key in b) {
    if (!Object.hasOwn(b, key)) continue;
    count++;
    if (!Object.hasOwn(a, key)) return false;
    if (!sameJson((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key])) return false;
  }
  for (const key in a) if (Object.hasOwn(a, key)) count--;
  return count === 0;
}
