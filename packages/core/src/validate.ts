import {
  describeZodIssue,
  GRAPH_FORMAT,
  GRAPH_VERSION,
  type GraphEdge,
  GraphEdgeSchema,
  type GraphNode,
  GraphNodeSchema,
} from './document';
import { ISSUE_CODES, type Issue, toIssuePath } from './issues';
import { deepFreeze, isDeepFrozen } from './json';
import type { AnyNodeDefinition, InputSpec, NodeRegistry } from './node';
import { canConnect, type PortType } from './types';

/** One node as the analysis sees it. */
export interface AnalysedNode {
  node: GraphNode;
  index: number;
  /** Position in the analysis' node map (dense, unlike `index`), for array-based passes. */
  slot: number;
  def: AnyNodeDefinition | undefined;
  /** Parsed params (defaults applied) when they pass the schema. */
  params: unknown;
  paramsOk: boolean;
  /** The check behind this node; remembered for frozen nodes, so derived facts can be cached on it. */
  check: { paramsCanonical?: string };
  /** Per input port, the edges reaching it in document order. */
  inputs: Map<string, GraphEdge[]>;
  /** Upstream node ids (distinct). */
  deps: string[];
  /** Downstream node ids (distinct). */
  dependents: string[];
}

/** Parsed settings of the edges whose input declares a settings schema. */
export type EdgeSettings = Map<GraphEdge, unknown>;

/** What validation learns about a document, reused by planning. */
export interface Analysis {
  issues: Issue[];
  nodes: Map<string, AnalysedNode>;
  /** Topological order of the nodes outside cycles. */
  order: string[];
  hasCycle: boolean;
  settings: EdgeSettings;
}

/**
 * Validates a graph document against a registry and returns every problem at once, each with a JSON
 * path, a stable code and a sentence. Never throws, whatever `doc` is.
 *
 * @example
 * const { ok, issues } = validateGraph(JSON.parse(text), registry);
 * for (const i of issues) console.log(i.path.join('.'), i.code, i.message);
 */
export function validateGraph(doc: unknown, registry: NodeRegistry): { ok: boolean; issues: Issue[] } {
  const { issues } = analyseGraph(doc, registry);
  return { ok: issues.length === 0, issues };
}

/** Validation plus the facts planning needs. Never throws. */
export function analyseGraph(doc: unknown, registry: NodeRegistry): Analysis {
  try {
    return analyse(doc, registry);
  } catch (error) {
    // a definition's own code (a type function, a refinement) threw: report it rather than crash
    return {
      issues: [
        {
          path: [],
          code: 'validation.internal',
          message: `Validation stopped because a node definition threw: ${error instanceof Error ? error.message : String(error)}.`,
        },
      ],
      nodes: new Map(),
      order: [],
      hasCycle: false,
      settings: new Map(),
    };
  }
}

function analyse(doc: unknown, registry: NodeRegistry): Analysis {
  const issues: Issue[] = [];
  const nodes = new Map<string, AnalysedNode>();
  const result: Analysis = { issues, nodes, order: [], hasCycle: false, settings: new Map() };
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    issues.push({
      path: [],
      code: ISSUE_CODES.invalidDocument,
      message: 'A graph document must be a JSON object.',
    });
    return result;
  }
  const d = doc as Record<string, unknown>;
  if (d.format !== GRAPH_FORMAT) {
    issues.push({
      path: ['format'],
      code: ISSUE_CODES.formatUnknown,
      message: `"format" must be "${GRAPH_FORMAT}".`,
    });
  }
  if (d.version !== GRAPH_VERSION) {
    issues.push({
      path: ['version'],
      code: ISSUE_CODES.versionUnsupported,
      message: `"version" must be ${GRAPH_VERSION}; load older documents with loadDocument, which migrates them.`,
    });
  }
  if (d.name !== undefined && typeof d.name !== 'string') {
    issues.push({ path: ['name'], code: ISSUE_CODES.invalidDocument, message: '"name" must be text.' });
  }
  if (d.meta !== undefined && (d.meta === null || typeof d.meta !== 'object' || Array.isArray(d.meta))) {
    issues.push({ path: ['meta'], code: ISSUE_CODES.invalidDocument, message: '"meta" must be an object.' });
  }
  const rawNodes = Array.isArray(d.nodes) ? d.nodes : undefined;
  const rawEdges = Array.isArray(d.edges) ? d.edges : undefined;
  if (!rawNodes)
    issues.push({ path: ['nodes'], code: ISSUE_CODES.invalidDocument, message: '"nodes" must be a list.' });
  if (!rawEdges)
    issues.push({ path: ['edges'], code: ISSUE_CODES.invalidDocument, message: '"edges" must be a list.' });

  // Nodes: shape, duplicates, known type, params.
  for (let i = 0; i < (rawNodes?.length ?? 0); i++) {
    const raw = rawNodes![i];
    const check = checkNode(raw, registry);
    if (check.shape) {
      for (const zi of check.shape) {
        issues.push({
          path: ['nodes', i, ...zi.path],
          code: ISSUE_CODES.invalidNode,
          message: describeZodIssue(['nodes', i, ...zi.path], zi.message),
        });
      }
      continue;
    }
    const node = raw as GraphNode;
    if (nodes.has(node.id)) {
      issues.push({
        path: ['nodes', i, 'id'],
        code: ISSUE_CODES.duplicateNodeId,
        message: `Two nodes have the id "${node.id}" (nodes ${nodes.get(node.id)!.index} and ${i}); ids must be unique.`,
        nodeId: node.id,
      });
      continue;
    }
    const def = check.def;
    const entry: AnalysedNode = {
      node,
      index: i,
      slot: nodes.size,
      def,
      params: check.params,
      paramsOk: check.paramsOk,
      check,
      inputs: new Map(),
      deps: [],
      dependents: [],
    };
    nodes.set(node.id, entry);
    if (!def) {
      issues.push({
        path: ['nodes', i, 'type'],
        code: ISSUE_CODES.unknownType,
        message: `Node "${node.id}" has type "${node.type}", which no registered node pack defines.`,
        nodeId: node.id,
      });
      continue;
    }
    pushParamIssues(issues, node, i, check);
  }

  // Edges: shape, duplicates, dangling ends, unknown ports, connection counts.
  const edgeIds = new Set<string>();
  // only issue paths need an edge's index, so the map is built on the first issue that asks
  // (an edge object listed twice is a duplicate id the second time, so its first index is the one)
  let edgeIndexMap: Map<GraphEdge, number> | undefined;
  const edgeIndex = {
    get(edge: GraphEdge): number | undefined {
      if (!edgeIndexMap) {
        edgeIndexMap = new Map();
        for (let i = 0; i < rawEdges!.length; i++) {
          const raw = rawEdges![i] as GraphEdge;
          if (!edgeIndexMap.has(raw)) edgeIndexMap.set(raw, i);
        }
      }
      return edgeIndexMap.get(edge);
    },
  };
  for (let i = 0; i < (rawEdges?.length ?? 0); i++) {
    const raw = rawEdges![i];
    const parsed =
      knownEdges.has(raw as object) || looksLikeEdge(raw) ? undefined : GraphEdgeSchema.safeParse(raw);
    if (parsed && !parsed.success) {
      for (const zi of parsed.error.issues) {
        issues.push({
          path: ['edges', i, ...toIssuePath(zi.path)],
          code: ISSUE_CODES.invalidEdge,
          message: describeZodIssue(['edges', i, ...zi.path], zi.message),
        });
      }
      continue;
    }
    const edge = raw as GraphEdge;
    if (edgeIds.has(edge.id)) {
      issues.push({
        path: ['edges', i, 'id'],
        code: ISSUE_CODES.duplicateEdgeId,
        message: `Two edges have the id "${edge.id}"; ids must be unique.`,
        edgeId: edge.id,
      });
      continue;
    }
    edgeIds.add(edge.id);
    const from = nodes.get(edge.from.node);
    const to = nodes.get(edge.to.node);
    let ok = true;
    if (!from || !to) {
      for (const end of ENDS) {
        if (end === 'from' ? from : to) continue;
        issues.push({
          path: ['edges', i, end, 'node'],
          code: ISSUE_CODES.danglingEdge,
          message: `Edge "${edge.id}" ${end === 'from' ? 'starts at' : 'ends at'} node "${edge[end].node}", which is not in the graph.`,
          edgeId: edge.id,
        });
      }
      continue;
    }
    if (from.def && !Object.hasOwn(from.def.outputs, edge.from.port)) {
      ok = false;
      issues.push({
        path: ['edges', i, 'from', 'port'],
        code: ISSUE_CODES.unknownPort,
        message: `Node "${from.node.id}" (${from.node.type}) has no output "${edge.from.port}"; its outputs are ${listNames(Object.keys(from.def.outputs))}.`,
        edgeId: edge.id,
        nodeId: from.node.id,
      });
    }
    if (to.def && !Object.hasOwn(to.def.inputs ?? {}, edge.to.port)) {
      ok = false;
      issues.push({
        path: ['edges', i, 'to', 'port'],
        code: ISSUE_CODES.unknownPort,
        message: `Node "${to.node.id}" (${to.node.type}) has no input "${edge.to.port}"; its inputs are ${listNames(Object.keys(to.def.inputs ?? {}))}.`,
        edgeId: edge.id,
        nodeId: to.node.id,
      });
    }
    if (!ok || !from.def || !to.def) {
      // keep the dependency even when ports are wrong, so cycles are still found
      if (from.def === undefined || to.def === undefined) link(from, to);
      continue;
    }
    let list = to.inputs.get(edge.to.port);
    if (!list) {
      list = [];
      to.inputs.set(edge.to.port, list);
    }
    list.push(edge);
    link(from, to);
    const spec = to.def.inputs![edge.to.port]!;
    if (spec.settings) {
      const s = safeParse(spec.settings, edge.settings ?? {});
      if (s.ok) result.settings.set(edge, deepFreeze(s.value));
      else {
        for (const zi of s.issues) {
          issues.push({
            path: ['edges', i, 'settings', ...zi.path],
            code: ISSUE_CODES.invalidSettings,
            message: `Edge "${edge.id}" into "${to.node.id}.${edge.to.port}": ${zi.path.length > 0 ? `setting "${zi.path.join('.')}"` : 'its settings'}: ${zi.message}.`,
            edgeId: edge.id,
            nodeId: to.node.id,
          });
        }
      }
    }
  }

  // per definition, within this analysis: port names, and the output types when they are fixed
  const shapes = new Map<AnyNodeDefinition, DefShape>();
  const shapeOf = (def: AnyNodeDefinition): DefShape => {
    let shape = shapes.get(def);
    if (!shape) {
      shape = defShape(def);
      shapes.set(def, shape);
    }
    return shape;
  };

  // Connection counts and required inputs.
  for (const entry of nodes.values()) {
    if (!entry.def) continue;
    const inputs = entry.def.inputs ?? {};
    for (const port of shapeOf(entry.def).inputPorts) {
      const spec = inputs[port]!;
      const edges = entry.inputs.get(port) ?? NO_EDGES;
      if (edges.length === 0 && !spec.optional) {
        issues.push({
          path: ['nodes', entry.index],
          code: ISSUE_CODES.missingInput,
          message: `Node "${entry.node.id}" needs a connection to its input "${spec.label ?? port}".`,
          nodeId: entry.node.id,
        });
      }
      if (!spec.multiple && edges.length > 1) {
        for (const extra of edges.slice(1)) {
          issues.push({
            path: ['edges', edgeIndex.get(extra)!],
            code: ISSUE_CODES.tooManyConnections,
            message: `Input "${spec.label ?? port}" of node "${entry.node.id}" takes one connection but has ${edges.length}.`,
            edgeId: extra.id,
            nodeId: entry.node.id,
          });
        }
      }
      if (spec.multiple && spec.max !== undefined && edges.length > spec.max) {
        for (const extra of edges.slice(spec.max)) {
          issues.push({
            path: ['edges', edgeIndex.get(extra)!],
            code: ISSUE_CODES.tooManyConnections,
            message: `Input "${spec.label ?? port}" of node "${entry.node.id}" takes at most ${spec.max} connections but has ${edges.length}.`,
            edgeId: extra.id,
            nodeId: entry.node.id,
          });
        }
      }
    }
  }

  // Order and cycles.
  const { order, cycles } = topoSort(nodes);
  result.order = order;
  result.hasCycle = cycles.length > 0;
  for (const cycle of cycles) {
    const first = nodes.get(cycle[0]!)!;
    issues.push({
      path: ['nodes', first.index],
      code: ISSUE_CODES.cycle,
      message: `The graph has a cycle: ${[...cycle, cycle[0]].map((id) => `"${id}"`).join(' → ')}; a node cannot depend on its own output.`,
      nodeId: first.node.id,
    });
  }

  // Types, in topological order so output types can depend on the input types.
  const outputTypes: Array<Record<string, PortType> | undefined> = new Array(nodes.size);
  for (const id of order) {
    const entry = nodes.get(id)!;
    const def = entry.def;
    if (!def || !entry.paramsOk) continue;
    const shape = shapeOf(def);
    // outputs are looked at only here, as before, for nodes whose params passed
    if (!shape.outputs) shape.outputs = outputShape(def);
    const { outputPorts, fixedOutputs } = shape.outputs;
    // fixed output types and no rules: the connections only need checking, nothing is collected
    const collect = fixedOutputs === undefined || def.validate !== undefined;
    const inputTypes: Record<string, PortType[]> = {};
    const inputSettings: Record<string, Array<Record<string, unknown>>> = {};
    const inputEdges: Record<string, GraphEdge[]> = {};
    const inputs = def.inputs ?? {};
    for (const port of shape.inputPorts) {
      const spec = inputs[port]!;
      const toType = resolveInputType(spec, entry.params);
      const connected: PortType[] = [];
      const settings: Array<Record<string, unknown>> = [];
      const wires: GraphEdge[] = [];
      const edges = entry.inputs.get(port);
      if (edges) {
        for (const edge of edges) {
          const fromType = outputTypes[nodes.get(edge.from.node)!.slot]?.[edge.from.port];
          if (!fromType) continue;
          if (collect) {
            connected.push(fromType);
            settings.push(isPlainRecord(edge.settings) ? edge.settings : {});
            wires.push(edge);
          }
          const verdict = canConnect(fromType, toType, registry.types);
          if (!verdict.ok) {
            issues.push({
              path: ['edges', edgeIndex.get(edge)!],
              code: verdict.code,
              message: `Edge "${edge.id}" (${edge.from.node}.${edge.from.port} → ${edge.to.node}.${edge.to.port}): ${verdict.reason}`,
              edgeId: edge.id,
              nodeId: entry.node.id,
            });
          }
        }
      }
      inputTypes[port] = connected;
      inputSettings[port] = settings;
      inputEdges[port] = wires;
    }
    if (fixedOutputs) outputTypes[entry.slot] = fixedOutputs;
    else {
      const outs: Record<string, PortType> = {};
      for (const port of outputPorts) {
        const spec = def.outputs[port]!;
        outs[port] =
          typeof spec.type === 'function' ? spec.type({ params: entry.params, inputTypes }) : spec.type;
      }
      outputTypes[entry.slot] = outs;
    }
    if (def.validate) {
      for (const problem of def.validate({ params: entry.params, inputTypes, inputSettings })) {
        // a problem of one connection (a LoRA's strength) points at that edge, where the editor shows it
        const edge = problem.connection
          ? inputEdges[problem.connection.port]?.[problem.connection.index]
          : undefined;
        issues.push({
          path: edge
            ? ['edges', edgeIndex.get(edge)!, ...(problem.path ?? [])]
            : ['nodes', entry.index, ...(problem.path ?? [])],
          code: problem.code || ISSUE_CODES.nodeRule,
          message: `Node "${entry.node.id}": ${problem.message}`,
          nodeId: entry.node.id,
          ...(edge ? { edgeId: edge.id } : {}),
        });
      }
    }
  }
  return result;
}

interface DefShape {
  inputPorts: string[];
  outputs?: OutputShape;
}

interface OutputShape {
  outputPorts: string[];
  /** The output types when none depends on params or inputs (shared by every node of the definition). */
  fixedOutputs: Record<string, PortType> | undefined;
}

function defShape(def: AnyNodeDefinition): DefShape {
  return { inputPorts: Object.keys(def.inputs ?? {}) };
}

function outputShape(def: AnyNodeDefinition): OutputShape {
  const outputPorts = Object.keys(def.outputs);
  let fixedOutputs: Record<string, PortType> | undefined = {};
  for (const port of outputPorts) {
    const type = def.outputs[port]!.type;
    if (typeof type === 'function') {
      fixedOutputs = undefined;
      break;
    }
    fixedOutputs[port] = type;
  }
  return { outputPorts, fixedOutputs };
}

/** Adds the issues of a node's params that failed their schema. */
export function pushParamIssues(issues: Issue[], node: GraphNode, index: number, check: NodeCheck): void {
  // an index loop: for-of would allocate an iterator per node even when there is nothing to report
  for (let k = 0; k < check.paramIssues.length; k++) {
    const zi = check.paramIssues[k]!;
    issues.push({
      path: ['nodes', index, 'params', ...zi.path],
      code: ISSUE_CODES.invalidParams,
      message: `Node "${node.id}": ${zi.path.length > 0 ? `parameter "${zi.path.join('.')}"` : 'its parameters'}: ${zi.message}.`,
      nodeId: node.id,
    });
  }
}

/** What is known about one node on its own (shape, definition, params); remembered for frozen nodes. */
export interface NodeCheck {
  paramsCanonical?: string;
  shape: { path: (string | number)[]; message: string }[] | null;
  type: string;
  def: AnyNodeDefinition | undefined;
  params: unknown;
  paramsOk: boolean;
  paramIssues: { path: (string | number)[]; message: string }[];
}

const NO_EDGES: readonly GraphEdge[] = Object.freeze([]);

// shared by every check whose params passed (it is only ever read)
const NO_ISSUES: NodeCheck['paramIssues'] = Object.freeze([]) as unknown as NodeCheck['paramIssues'];

// Frozen nodes and edges cannot change, so their checks are remembered (the editor re-validates on every keystroke).
const nodeChecks = new WeakMap<NodeRegistry, WeakMap<object, NodeCheck>>();
const knownEdges = new WeakSet<object>();

/** Checks one node on its own; the answer is remembered when the node is frozen. */
export function checkNode(raw: unknown, registry: NodeRegistry): NodeCheck {
  const frozen = raw !== null && typeof raw === 'object' && isDeepFrozen(raw);
  let memo: WeakMap<object, NodeCheck> | undefined;
  if (frozen) {
    memo = nodeChecks.get(registry);
    if (!memo) {
      memo = new WeakMap();
      nodeChecks.set(registry, memo);
    }
    const known = memo.get(raw as object);
    if (known && known.def === registry.get(known.type)) return known;
  }
  const check: NodeCheck = {
    shape: null,
    type: '',
    def: undefined,
    params: undefined,
    paramsOk: false,
    paramIssues: NO_ISSUES,
  };
  const parsed = looksLikeNode(raw) ? undefined : GraphNodeSchema.safeParse(raw);
  if (parsed && !parsed.success) {
    check.shape = parsed.error.issues.map((zi) => ({ path: toIssuePath(zi.path), message: zi.message }));
    return check;
  }
  const node = raw as GraphNode;
  check.type = node.type;
  check.def = registry.get(node.type);
  if (check.def) {
    const p = safeParse(check.def.params, node.params ?? {});
    if (p.ok) {
      // frozen, so a node's run cannot change what the cache key was computed from
      check.params = deepFreeze(p.value);
      check.paramsOk = true;
    } else {
      check.paramIssues = p.issues;
    }
  }
  if (memo) memo.set(raw as object, check);
  return check;
}

// Plain checks that accept exactly what the zod schemas accept in the common case, so zod (and its
// messages) is only consulted for a suspect element; validating 10k nodes stays within budget.
function isRecord(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}
function isId(v: unknown): boolean {
  return typeof v === 'string' && v.length >= 1 && v.length <= 200;
}
function isEnd(v: unknown): boolean {
  return isRecord(v) && isId(v.node) && typeof v.port === 'string' && v.port.length >= 1;
}
/** True when a value certainly passes `GraphNodeSchema` (internal fast path; false means "ask zod"). */
export function looksLikeNode(v: unknown): boolean {
  if (!isRecord(v) || !isId(v.id) || typeof v.type !== 'string' || v.type.length === 0) return false;
  if (v.params !== undefined && !isRecord(v.params)) return false;
  if (v.label !== undefined && typeof v.label !== 'string') return false;
  const p = v.position;
  return p === undefined || (isRecord(p) && Number.isFinite(p.x) && Number.isFinite(p.y));
}
/** True when a value certainly passes `GraphEdgeSchema` (internal fast path; false means "ask zod"). */
export function looksLikeEdge(v: unknown): boolean {
  if (!isRecord(v) || !isId(v.id) || !isEnd(v.from) || !isEnd(v.to)) return false;
  const ok = v.settings === undefined || isRecord(v.settings);
  if (ok && isDeepFrozen(v)) knownEdges.add(v);
  return ok;
}

/** An input's declared type for the given (parsed) params. */
export function resolveInputType(spec: InputSpec, params: unknown): PortType {
  return typeof spec.type === 'function' ? spec.type(params) : spec.type;
}

const ENDS = ['from', 'to'] as const;

function link(from: AnalysedNode, to: AnalysedNode): void {
  // deps stay distinct: a node wired twice to the same upstream waits for it once
  if (!to.deps.includes(from.node.id)) {
    to.deps.push(from.node.id);
    from.dependents.push(to.node.id);
  }
}

function listNames(names: string[]): string {
  return names.length === 0 ? 'none' : names.map((n) => `"${n}"`).join(', ');
}

function safeParse(
  schema: {
    safeParse(v: unknown): {
      success: boolean;
      data?: unknown;
      error?: { issues: { path: PropertyKey[]; message: string }[] };
    };
  },
  value: unknown,
): { ok: true; value: unknown } | { ok: false; issues: { path: (string | number)[]; message: string }[] } {
  const r = schema.safeParse(value);
  if (r.success) return { ok: true, value: r.data };
  return {
    ok: false,
    issues: (r.error?.issues ?? []).map((i) => ({
      path: toIssuePath(i.path),
      message: i.message.replace(/\.$/, ''),
    })),
  };
}

/** Kahn's algorithm; nodes left over are in or behind cycles, which are then listed one per strongly connected component. */
function topoSort(nodes: Map<string, AnalysedNode>): { order: string[]; cycles: string[][] } {
  // indegrees by slot (dense, in map order), so the pass does one map lookup per edge
  const indegree = new Int32Array(nodes.size);
  const order: string[] = [];
  for (const entry of nodes.values()) {
    indegree[entry.slot] = entry.deps.length;
    if (entry.deps.length === 0) order.push(entry.node.id);
  }
  for (let head = 0; head < order.length; head++) {
    for (const next of nodes.get(order[head]!)!.dependents) {
      const slot = nodes.get(next)!.slot;
      if (--indegree[slot]! === 0) order.push(next);
    }
  }
  if (order.length === nodes.size) return { order, cycles: [] };
  const placed = new Set(order);
  const rest = [...nodes.keys()].filter((id) => !placed.has(id));
  return { order, cycles: findCycles(rest, nodes) };
}

/** Iterative Tarjan over the leftover nodes, then one concrete cycle path per component. */
function findCycles(ids: string[], nodes: Map<string, AnalysedNode>): string[][] {
  const inRest = new Set(ids);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let counter = 0;
  for (const root of ids) {
    if (index.has(root)) continue;
    const work: Array<{ id: string; i: number }> = [{ id: root, i: 0 }];
    index.set(root, counter);
    low.set(root, counter++);
    stack.push(root);
    onStack.add(root);
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      const succ = nodes.get(frame.id)!.dependents;
      if (frame.i < succ.length) {
        const next = succ[frame.i++]!;
        if (!inRest.has(next)) continue;
        if (!index.has(next)) {
          index.set(next, counter);
          low.set(next, counter++);
          stack.push(next);
          onStack.add(next);
          work.push({ id: next, i: 0 });
        } else if (onStack.has(next)) {
          low.set(frame.id, Math.min(low.get(frame.id)!, index.get(next)!));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.id, Math.min(low.get(parent.id)!, low.get(frame.id)!));
      if (low.get(frame.id) === index.get(frame.id)) {
        const component: string[] = [];
        let member: string;
        do {
          member = stack.pop()!;
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.id);
        const selfLoop = component.length === 1 && nodes.get(member)!.dependents.includes(member);
        if (component.length > 1 || selfLoop) components.push(component);
      }
    }
  }
  return components.map((c) => cyclePath(c, nodes));
}

/** A shortest cycle through the component's first member (breadth-first inside the component). */
function cyclePath(component: string[], nodes: Map<string, AnalysedNode>): string[] {
  const members = new Set(component);
  const start = [...component].sort()[0]!;
  const parent = new Map<string, string>();
  const queue = [start];
  for (let head = 0; head < queue.length; head++) {
    const id = queue[head]!;
    for (const next of nodes.get(id)!.dependents) {
      if (!members.has(next)) continue;
      if (next === start) {
        const path = [id];
        let cur = id;
        while (cur !== start) {
          cur = parent.get(cur)!;
          path.push(cur);
        }
        return path.reverse();
      }
      if (!parent.has(next) && next !== start) {
        parent.set(next, id);
        queue.push(next);
      }
    }
  }
  return component;
}

const isPlainRecord = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);
