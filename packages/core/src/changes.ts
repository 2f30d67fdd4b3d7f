import { applyPatches, enablePatches, type Patch, produceWithPatches } from 'immer';
import { z } from 'zod/mini';
import {
  describeZodIssue,
  type GraphDocument,
  GraphDocumentSchema,
  type GraphEdge,
  GraphEdgeSchema,
  type GraphNode,
  GraphNodeSchema,
} from './document';
import { type Issue, type Result, toIssuePath } from './issues';
import { parseSchema } from './parse-schema';

const id = z.string().check(z.minLength(1));
const record = z.record(z.string(), z.unknown());
const index = z.optional(z.number().check(z.int(), z.gte(0)));
const maybe = <T extends z.core.$ZodType>(schema: T) => z.optional(z.nullable(schema));

/**
 * zod schema of one graph edit.
 *
 * @example
 * GraphChangeSchema.safeParse({ type: 'node.remove', id: 'a' }).success; // true
 */
export const GraphChangeSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('node.add'), node: GraphNodeSchema, index }),
  z.object({ type: z.literal('node.remove'), id }),
  z.object({
    type: z.literal('node.update'),
    id,
    label: maybe(z.string()),
    nodeType: z.optional(id),
  }),
  z.object({
    type: z.literal('node.move'),
    id,
    position: z.object({ x: z.number(), y: z.number() }),
  }),
  z.object({ type: z.literal('params.set'), id, params: record }),
  z.object({ type: z.literal('params.patch'), id, values: record, unset: z.optional(z.array(z.string())) }),
  z.object({ type: z.literal('edge.add'), edge: GraphEdgeSchema, index }),
  z.object({ type: z.literal('edge.remove'), id }),
  z.object({ type: z.literal('edge.settings'), id, settings: z.nullable(record) }),
  z.object({ type: z.literal('input.reorder'), node: id, port: id, order: z.array(id) }),
  z.object({
    type: z.literal('document.update'),
    name: maybe(z.string()),
    meta: maybe(record),
  }),
  z.object({ type: z.literal('document.replace'), document: GraphDocumentSchema }),
]);

/**
 * One graph edit, as data. The editor, the runtime and scripts all edit documents through these.
 *
 * @example
 * const change: GraphChange = { type: 'edge.settings', id: 'e1', settings: { scale: 0.6 } };
 */
export type GraphChange = z.infer<typeof GraphChangeSchema>;

/**
 * The new document plus immer patches; `inversePatches` undo the edit (see `applyDocumentPatches`).
 *
 * @example
 * const { doc, inversePatches } = (applyChanges(doc0, changes) as { ok: true; value: AppliedChanges }).value;
 */
export interface AppliedChanges {
  doc: GraphDocument;
  patches: Patch[];
  inversePatches: Patch[];
}

/**
 * Applies edits with one immer reducer: all or nothing. Returns the new (frozen) document with
 * patches and inverse patches for undo/redo, or every problem with a path under `changes`.
 * Unchanged nodes and edges keep their identity, which lets validation and keys skip them.
 *
 * @example
 * const r = applyChanges(doc, [{ type: 'params.patch', id: 'gen', values: { steps: 30 } }]);
 * if (r.ok) { setDoc(r.value.doc); undoStack.push(r.value.inversePatches); }
 */
export function applyChanges(doc: GraphDocument, changes: readonly unknown[]): Result<AppliedChanges> {
  enablePatches();
  const issues: Issue[] = [];
  const parsed: GraphChange[] = [];
  if (!Array.isArray(changes)) {
    return {
      ok: false,
      issues: [{ path: ['changes'], code: 'change.invalid', message: 'Changes must be a list.' }],
    };
  }
  changes.forEach((change, i) => {
    const r = parseSchema(GraphChangeSchema, change);
    if (r.success) parsed.push(r.data);
    else {
      for (const zi of r.error.issues) {
        issues.push({
          path: ['changes', i, ...toIssuePath(zi.path)],
          code: 'change.invalid',
          message: describeZodIssue(['changes', i, ...zi.path], zi.message),
        });
      }
    }
  });
  if (issues.length > 0) return { ok: false, issues };
  const places = new Places(doc);
  const [next, patches, inversePatches] = produceWithPatches(doc, (draft) => {
    parsed.forEach((change, i) => {
      const problem = apply(draft, change, places);
      if (problem) issues.push({ path: ['changes', i], code: problem.code, message: problem.message });
    });
  });
  if (issues.length > 0) return { ok: false, issues };
  return { ok: true, value: { doc: next, patches, inversePatches } };
}

/**
 * Applies immer patches to a document: undo with `inversePatches`, redo with `patches`.
 *
 * @example
 * const undone = applyDocumentPatches(current, entry.inversePatches);
 */
export function applyDocumentPatches(doc: GraphDocument, patches: readonly Patch[]): GraphDocument {
  enablePatches();
  return applyPatches(doc, patches as Patch[]);
}

type Problem = { code: string; message: string };

const noNode = (nodeId: string): Problem => ({
  code: 'change.unknown-node',
  message: `There is no node "${nodeId}".`,
});
const noEdge = (edgeId: string): Problem => ({
  code: 'change.unknown-edge',
  message: `There is no edge "${edgeId}".`,
});

/** The ids and ends an edge keeps for the whole of one `applyChanges` (no change rewrites them). */
interface EdgeKey {
  id: string;
  from: string;
  to: string;
  port: string;
}

/**
 * Where each node and edge sits during one `applyChanges`, kept in plain arrays beside the draft:
 * searching the draft itself makes immer draft every element it passes, so moving one node among
 * 2,000 (an editor's drag, once per frame) would draft them all.
 */
class Places {
  private nodeIds: string[] | undefined;
  private edgeKeys: EdgeKey[] | undefined;
  private nodeSlot: Map<string, number> | undefined;
  private edgeSlot: Map<string, number> | undefined;

  constructor(private readonly base: GraphDocument) {}

  node(id: string): number {
    this.nodeSlot ??= firstPlaces(this.nodes());
    return this.nodeSlot.get(id) ?? -1;
  }

  edge(id: string): number {
    this.edgeSlot ??= firstPlaces(this.edges().map((e) => e.id));
    return this.edgeSlot.get(id) ?? -1;
  }

  nodeCount(): number {
    return this.nodes().length;
  }

  edgeCount(): number {
    return this.edges().length;
  }

  /** Positions of the edges that pass `test`, ascending. */
  edgesWhere(test: (e: EdgeKey) => boolean): number[] {
    const found: number[] = [];
    this.edges().forEach((e, i) => {
      if (test(e)) found.push(i);
    });
    return found;
  }

  insertNode(at: number, id: string): void {
    this.nodes().splice(at, 0, id);
    this.nodeSlot = undefined;
  }

  removeNode(at: number): void {
    this.nodes().splice(at, 1);
    this.nodeSlot = undefined;
  }

  insertEdge(at: number, edge: Pick<GraphEdge, 'id' | 'from' | 'to'>): void {
    this.edges().splice(at, 0, keyOf(edge));
    this.edgeSlot = undefined;
  }

  /** Drops the edges at `positions` (ascending). */
  removeEdges(positions: readonly number[]): void {
    const gone = new Set(positions);
    this.edgeKeys = this.edges().filter((_, i) => !gone.has(i));
    this.edgeSlot = undefined;
  }

  /** The edges at `positions` now hold, in that order, the ones that were at `from`. */
  moveEdges(positions: readonly number[], from: readonly number[]): void {
    const keys = this.edges();
    const moved = from.map((i) => keys[i]!);
    positions.forEach((p, k) => {
      keys[p] = moved[k]!;
    });
    this.edgeSlot = undefined;
  }

  reset(doc: GraphDocument): void {
    this.nodeIds = doc.nodes.map((n) => n.id);
    this.edgeKeys = doc.edges.map(keyOf);
    this.nodeSlot = undefined;
    this.edgeSlot = undefined;
  }

  private nodes(): string[] {
    this.nodeIds ??= this.base.nodes.map((n) => n?.id);
    return this.nodeIds;
  }

  private edges(): EdgeKey[] {
    this.edgeKeys ??= this.base.edges.map(keyOf);
    return this.edgeKeys;
  }
}

function keyOf(e: Pick<GraphEdge, 'id' | 'from' | 'to'>): EdgeKey {
  return { id: e?.id, from: e?.from?.node, to: e?.to?.node, port: e?.to?.port };
}

// the first of two equal ids is the one a search from the start finds
function firstPlaces(ids: readonly string[]): Map<string, number> {
  const map = new Map<string, number>();
  for (let i = 0; i < ids.length; i++) if (!map.has(ids[i]!)) map.set(ids[i]!, i);
  return map;
}

/** Drops the elements at `positions` (ascending) from a draft array, splicing only what goes. */
function removeAt<T>(list: T[], positions: readonly number[]): void {
  for (let k = positions.length - 1; k >= 0; k--) list.splice(positions[k]!, 1);
}

function apply(d: GraphDocument, c: GraphChange, places: Places): Problem | undefined {
  switch (c.type) {
    case 'node.add': {
      if (places.node(c.node.id) >= 0) {
        return { code: 'change.duplicate-id', message: `A node with the id "${c.node.id}" already exists.` };
      }
      const at = Math.min(c.index ?? places.nodeCount(), places.nodeCount());
      // appending with push moves no element, so immer drafts none of them
      if (at === places.nodeCount()) d.nodes.push(strip(c.node) as GraphNode);
      else d.nodes.splice(at, 0, strip(c.node) as GraphNode);
      places.insertNode(at, c.node.id);
      return undefined;
    }
    case 'node.remove': {
      const i = places.node(c.id);
      if (i < 0) return noNode(c.id);
      d.nodes.splice(i, 1);
      places.removeNode(i);
      // an edge without its node would dangle, so the node's edges go with it
      const touching = places.edgesWhere((e) => e.from === c.id || e.to === c.id);
      removeAt(d.edges, touching);
      places.removeEdges(touching);
      return undefined;
    }
    case 'node.update': {
      const n = d.nodes[places.node(c.id)];
      if (!n) return noNode(c.id);
      if (c.label === null) delete n.label;
      else if (c.label !== undefined) n.label = c.label;
      if (c.nodeType !== undefined) n.type = c.nodeType;
      return undefined;
    }
    case 'node.move': {
      const n = d.nodes[places.node(c.id)];
      if (!n) return noNode(c.id);
      // an unmoved node stays as it was (no patch, no undo step)
      if (n.position?.x !== c.position.x || n.position?.y !== c.position.y)
        n.position = { x: c.position.x, y: c.position.y };
      return undefined;
    }
    case 'params.set': {
      const n = d.nodes[places.node(c.id)];
      if (!n) return noNode(c.id);
      n.params = c.params;
      return undefined;
    }
    case 'params.patch': {
      const n = d.nodes[places.node(c.id)];
      if (!n) return noNode(c.id);
      n.params ??= {};
      for (const [k, v] of Object.entries(c.values)) n.params[k] = v;
      for (const k of c.unset ?? []) delete n.params[k];
      return undefined;
    }
    case 'edge.add': {
      if (places.edge(c.edge.id) >= 0) {
        return { code: 'change.duplicate-id', message: `An edge with the id "${c.edge.id}" already exists.` };
      }
      for (const end of [c.edge.from.node, c.edge.to.node]) if (places.node(end) < 0) return noNode(end);
      const at = Math.min(c.index ?? places.edgeCount(), places.edgeCount());
      if (at === places.edgeCount()) d.edges.push(strip(c.edge) as GraphEdge);
      else d.edges.splice(at, 0, strip(c.edge) as GraphEdge);
      places.insertEdge(at, c.edge);
      return undefined;
    }
    case 'edge.remove': {
      const i = places.edge(c.id);
      if (i < 0) return noEdge(c.id);
      d.edges.splice(i, 1);
      places.removeEdges([i]);
      return undefined;
    }
    case 'edge.settings': {
      const e = d.edges[places.edge(c.id)];
      if (!e) return noEdge(c.id);
      if (c.settings === null) delete e.settings;
      else e.settings = c.settings;
      return undefined;
    }
    case 'input.reorder':
      return reorder(d, c, places);
    case 'document.update': {
      if (c.name === null) delete d.name;
      else if (c.name !== undefined) d.name = c.name;
      if (c.meta === null) delete d.meta;
      else if (c.meta !== undefined) d.meta = c.meta;
      return undefined;
    }
    case 'document.replace': {
      const next = strip(c.document) as GraphDocument;
      next.nodes = next.nodes.map((n) => strip(n) as GraphNode);
      next.edges = next.edges.map((e) => strip(e) as GraphEdge);
      for (const key of Object.keys(d) as Array<keyof GraphDocument>) if (!(key in next)) delete d[key];
      Object.assign(d, next);
      places.reset(next);
      return undefined;
    }
  }
}

// the edges into this input keep their slots in `edges`; only who sits in them changes
function reorder(
  d: GraphDocument,
  c: Extract<GraphChange, { type: 'input.reorder' }>,
  places: Places,
): Problem | undefined {
  const slots = places.edgesWhere((e) => e.to === c.node && e.port === c.port);
  const current = slots.map((i) => d.edges[i]!.id);
  const same =
    current.length === c.order.length &&
    new Set(c.order).size === c.order.length &&
    c.order.every((x) => current.includes(x));
  if (!same) {
    return {
      code: 'change.reorder-mismatch',
      message: `The new order for input "${c.port}" of "${c.node}" must list exactly its connections: ${current.map((x) => `"${x}"`).join(', ') || 'none'}.`,
    };
  }
  const from = c.order.map((x) => slots[current.indexOf(x)]!);
  const moved = from.map((i) => d.edges[i]!);
  slots.forEach((slot, k) => {
    d.edges[slot] = moved[k]!;
  });
  places.moveEdges(slots, from);
  return undefined;
}

// zod's output can carry keys set to undefined; the document never does (exactOptionalPropertyTypes).
function strip<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
