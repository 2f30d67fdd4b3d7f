import { applyPatches, enablePatches, type Patch, produceWithPatches } from 'immer';
import { z } from 'zod';
import {
  describeZodIssue,
  type GraphDocument,
  type GraphEdge,
  GraphEdgeSchema,
  type GraphNode,
  GraphNodeSchema,
} from './document';
import { type Issue, type Result, toIssuePath } from './issues';

const id = z.string().min(1);
const record = z.record(z.string(), z.unknown());

/**
 * zod schema of one graph edit.
 *
 * @example
 * GraphChangeSchema.safeParse({ type: 'node.remove', id: 'a' }).success; // true
 */
export const GraphChangeSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('node.add'), node: GraphNodeSchema, index: z.number().int().min(0).optional() }),
  z.object({ type: z.literal('node.remove'), id }),
  z.object({
    type: z.literal('node.update'),
    id,
    label: z.string().nullable().optional(),
    nodeType: z.string().min(1).optional(),
  }),
  z.object({
    type: z.literal('node.move'),
    id,
    position: z.object({ x: z.number().finite(), y: z.number().finite() }),
  }),
  z.object({ type: z.literal('params.set'), id, params: record }),
  z.object({ type: z.literal('params.patch'), id, values: record, unset: z.array(z.string()).optional() }),
  z.object({ type: z.literal('edge.add'), edge: GraphEdgeSchema, index: z.number().int().min(0).optional() }),
  z.object({ type: z.literal('edge.remove'), id }),
  z.object({ type: z.literal('edge.settings'), id, settings: record.nullable() }),
  z.object({ type: z.literal('input.reorder'), node: id, port: z.string().min(1), order: z.array(id) }),
  z.object({
    type: z.literal('document.update'),
    name: z.string().nullable().optional(),
    meta: record.nullable().optional(),
  }),
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
    const r = GraphChangeSchema.safeParse(change);
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
  const [next, patches, inversePatches] = produceWithPatches(doc, (draft) => {
    parsed.forEach((change, i) => {
      const problem = apply(draft, change);
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

function apply(d: GraphDocument, c: GraphChange): { code: string; message: string } | undefined {
  const nodeAt = (nodeId: string) => d.nodes.findIndex((n) => n.id === nodeId);
  const edgeAt = (edgeId: string) => d.edges.findIndex((e) => e.id === edgeId);
  const noNode = (nodeId: string) => ({
    code: 'change.unknown-node',
    message: `There is no node "${nodeId}".`,
  });
  const noEdge = (edgeId: string) => ({
    code: 'change.unknown-edge',
    message: `There is no edge "${edgeId}".`,
  });
  switch (c.type) {
    case 'node.add': {
      if (nodeAt(c.node.id) >= 0) {
        return { code: 'change.duplicate-id', message: `A node with the id "${c.node.id}" already exists.` };
      }
      d.nodes.splice(Math.min(c.index ?? d.nodes.length, d.nodes.length), 0, strip(c.node) as GraphNode);
      return undefined;
    }
    case 'node.remove': {
      const i = nodeAt(c.id);
      if (i < 0) return noNode(c.id);
      d.nodes.splice(i, 1);
      // an edge without its node would dangle, so the node's edges go with it
      d.edges = d.edges.filter((e) => e.from.node !== c.id && e.to.node !== c.id);
      return undefined;
    }
    case 'node.update': {
      const n = d.nodes[nodeAt(c.id)];
      if (!n) return noNode(c.id);
      if (c.label === null) delete n.label;
      else if (c.label !== undefined) n.label = c.label;
      if (c.nodeType !== undefined) n.type = c.nodeType;
      return undefined;
    }
    case 'node.move': {
      const n = d.nodes[nodeAt(c.id)];
      if (!n) return noNode(c.id);
      n.position = { x: c.position.x, y: c.position.y };
      return undefined;
    }
    case 'params.set': {
      const n = d.nodes[nodeAt(c.id)];
      if (!n) return noNode(c.id);
      n.params = c.params;
      return undefined;
    }
    case 'params.patch': {
      const n = d.nodes[nodeAt(c.id)];
      if (!n) return noNode(c.id);
      const params = n.params ?? {};
      for (const [k, v] of Object.entries(c.values)) params[k] = v;
      for (const k of c.unset ?? []) delete params[k];
      n.params = params;
      return undefined;
    }
    case 'edge.add': {
      if (edgeAt(c.edge.id) >= 0) {
        return { code: 'change.duplicate-id', message: `An edge with the id "${c.edge.id}" already exists.` };
      }
      for (const end of [c.edge.from.node, c.edge.to.node]) if (nodeAt(end) < 0) return noNode(end);
      d.edges.splice(Math.min(c.index ?? d.edges.length, d.edges.length), 0, strip(c.edge) as GraphEdge);
      return undefined;
    }
    case 'edge.remove': {
      const i = edgeAt(c.id);
      if (i < 0) return noEdge(c.id);
      d.edges.splice(i, 1);
      return undefined;
    }
    case 'edge.settings': {
      const e = d.edges[edgeAt(c.id)];
      if (!e) return noEdge(c.id);
      if (c.settings === null) delete e.settings;
      else e.settings = c.settings;
      return undefined;
    }
    case 'input.reorder': {
      // the edges into this input keep their slots in `edges`; only who sits in them changes
      const slots: number[] = [];
      d.edges.forEach((e, i) => {
        if (e.to.node === c.node && e.to.port === c.port) slots.push(i);
      });
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
      const byId = new Map(slots.map((i) => [d.edges[i]!.id, d.edges[i]!]));
      const moved = c.order.map((x) => byId.get(x)!);
      slots.forEach((slot, k) => {
        d.edges[slot] = moved[k]!;
      });
      return undefined;
    }
    case 'document.update': {
      if (c.name === null) delete d.name;
      else if (c.name !== undefined) d.name = c.name;
      if (c.meta === null) delete d.meta;
      else if (c.meta !== undefined) d.meta = c.meta;
      return undefined;
    }
  }
}

// zod's output can carry keys set to undefined; the document never does (exactOptionalPropertyTypes).
function strip<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
