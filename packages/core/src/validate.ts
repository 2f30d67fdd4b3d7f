import {
  describeZodIssue,
  GRAPH_FORMAT,
  GRAPH_VERSION,
  type GraphEdge,
  GraphEdgeSchema,
  type GraphNode,
  GraphNodeSchema,
} from './document';
import { documentLimitIssues } from './document-limits';
import { ISSUE_CODES, type Issue, toIssuePath } from './issues';
import { deepFreeze, isDeepFrozen } from './json';
import type { AnyNodeDefinition, InputSpec, NodeRegistry } from './node';
import { type AnySchema, parseSchema } from './parse-schema';
import { type ConnectResult, canConnect, type PortType, type TypeRegistry } from './types';

/** Parsed settings of the edges whose input declares a settings schema. */
export type EdgeSettings = Map<GraphEdge, unknown>;

/**
 * What validation learns about a document, reused by planning. Struct of arrays: a node is a dense
 * slot (its position among the accepted nodes), links are compressed rows of typed arrays, so
 * analysing 10k nodes allocates a few arrays rather than objects, maps and lists per node.
 */
export interface Analysis extends NodeTable, WireTable {
  issues: Issue[];
  /** Node count (accepted nodes: shape ok, id not a duplicate). */
  size: number;
  /** Distinct upstream slots of slot s: `deps[depStart[s] .. depStart[s + 1])`, in document edge order. */
  depStart: Int32Array;
  deps: Int32Array;
  /** Distinct downstream slots, likewise. */
  outStart: Int32Array;
  outs: Int32Array;
  /** Upstream and downstream slot of each dependency, in document order (one per edge when there are no issues). */
  linkFrom: Int32Array;
  linkTo: Int32Array;
  /** Slot → the node's output types (undefined when its params or type failed, or it is in or behind a cycle). */
  outputTypes: Array<Record<string, PortType> | undefined>;
  /** Topological order (slots) of the nodes outside cycles. */
  order: Int32Array;
  hasCycle: boolean;
  settings: EdgeSettings;
}

/** The accepted nodes of a document, by slot. */
export interface NodeTable {
  /** Slot → node id. */
  ids: string[];
  /** Node id → slot. */
  slotOf: Map<string, number>;
  /** Slot → the node as the document holds it. */
  nodes: GraphNode[];
  /** Slot → position in `doc.nodes`. */
  index: Int32Array;
  /** Slot → definition (undefined for an unknown type). */
  defs: Array<AnyNodeDefinition | undefined>;
  /** Slot → the node's check (parsed params, paramsOk, canonical params once computed). */
  checks: NodeCheck[];
}

/** The valid connections into each node, grouped by input port. */
export interface WireTable {
  /** Valid connections into slot s: `wireEdge/wireFrom/wirePort[wireStart[s] .. wireStart[s + 1])`, by input port then document order. */
  wireStart: Int32Array;
  wireEdge: GraphEdge[];
  wireFrom: Int32Array;
  /** The input port of each wire, as its index in the definition's inputs. */
  wirePort: Int32Array;
}

const EMPTY_I32 = new Int32Array(0);

function emptyAnalysis(issues: Issue[]): Analysis {
  return {
    issues,
    size: 0,
    ids: [],
    slotOf: new Map(),
    nodes: [],
    index: EMPTY_I32,
    defs: [],
    checks: [],
    depStart: new Int32Array(1),
    deps: EMPTY_I32,
    outStart: new Int32Array(1),
    outs: EMPTY_I32,
    wireStart: new Int32Array(1),
    wireEdge: [],
    wireFrom: EMPTY_I32,
    wirePort: EMPTY_I32,
    linkFrom: EMPTY_I32,
    linkTo: EMPTY_I32,
    outputTypes: [],
    order: EMPTY_I32,
    hasCycle: false,
    settings: new Map(),
  };
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

/**
 * The types connected to each input of each node, in connection order, as validation resolved
 * them — what an estimate hook can know of a LoRA before the LoRA exists (its provider and base
 * family). Nodes or connections that do not validate are left out. Never throws.
 *
 * @example
 * const types = connectedTypes(doc, registry);
 * types.get('render')?.loras?.[0]; // { kind: 'lora', params: { provider: 'scenario', family: 'flux.1', ... } }
 */
export function connectedTypes(
  doc: unknown,
  registry: NodeRegistry,
): Map<string, Record<string, PortType[]>> {
  return typesOfAnalysis(analyseGraph(doc, registry));
}

/** `connectedTypes` of an analysis already made (the engine's kept one). */
export function typesOfAnalysis(a: Analysis): Map<string, Record<string, PortType[]>> {
  const out = new Map<string, Record<string, PortType[]>>();
  for (let s = 0; s < a.size; s++) {
    const types: Record<string, PortType[]> = {};
    for (let w = a.wireStart[s]!; w < a.wireStart[s + 1]!; w++) {
      const edge = a.wireEdge[w]!;
      const type = a.outputTypes[a.wireFrom[w]!]?.[edge.from.port];
      if (!type) continue;
      const list = types[edge.to.port];
      if (list) list.push(type);
      else types[edge.to.port] = [type];
    }
    out.set(a.ids[s]!, types);
  }
  return out;
}

/** Validation plus the facts planning needs. Never throws. */
export function analyseGraph(doc: unknown, registry: NodeRegistry): Analysis {
  try {
    return analyse(doc, registry);
  } catch (error) {
    return emptyAnalysis([internalIssue(error)]);
  }
}

/** A definition's own code (a type function, a refinement) threw: reported rather than crashing. */
export function internalIssue(error: unknown): Issue {
  return {
    path: [],
    code: 'validation.internal',
    message: `Validation stopped because a node definition threw: ${error instanceof Error ? error.message : String(error)}.`,
  };
}

// The steps, in order: the document's shape, the nodes on their own, each edge on its own, the
// edges grouped per node, connection counts, order and cycles, then types and rules in that order.
function analyse(doc: unknown, registry: NodeRegistry): Analysis {
  // Before anything recursive looks at the document: a 10,000-deep value must not overflow the stack.
  const limits = documentLimitIssues(doc);
  if (limits.length > 0) return emptyAnalysis(limits);
  const issues: Issue[] = [];
  const lists = documentLists(doc, issues);
  if (!lists) return emptyAnalysis(issues);
  const shapes = new DefShapes();
  const table = acceptNodes(lists.nodes, registry, issues);
  const links = readEdges(lists.edges, table, shapes, issues);
  const n = table.ids.length;
  const graph = groupLinks(n, links);
  const edgeAt = edgeIndexer(lists.edges);
  checkConnectionCounts(table, shapes, graph, issues, edgeAt);
  const { order, cycles } = topoSort(n, graph.depStart, graph.outStart, graph.outs, table.ids);
  for (const cycle of cycles) issues.push(cycleIssue(cycle, table.index[table.slotOf.get(cycle[0]!)!]!));
  const outputTypes = resolveTypes(table, shapes, graph, order, registry.types, issues, edgeAt);
  const edgeCount = lists.edges.length;
  return {
    issues,
    size: n,
    ids: table.ids,
    slotOf: table.slotOf,
    nodes: table.nodes,
    index: table.index.length === n ? table.index : table.index.slice(0, n),
    defs: table.defs,
    checks: table.checks,
    ...graph,
    linkFrom: links.count === edgeCount ? links.from : links.from.slice(0, links.count),
    linkTo: links.count === edgeCount ? links.to : links.to.slice(0, links.count),
    outputTypes,
    order,
    hasCycle: cycles.length > 0,
    settings: links.settings,
  };
}

/** The document-level checks; the node and edge lists to go on with, or undefined when `doc` is no object. */
function documentLists(doc: unknown, issues: Issue[]): { nodes: unknown[]; edges: unknown[] } | undefined {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    issues.push({
      path: [],
      code: ISSUE_CODES.invalidDocument,
      message: 'A graph document must be a JSON object.',
    });
    return undefined;
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
  if (!Array.isArray(d.nodes))
    issues.push({ path: ['nodes'], code: ISSUE_CODES.invalidDocument, message: '"nodes" must be a list.' });
  if (!Array.isArray(d.edges))
    issues.push({ path: ['edges'], code: ISSUE_CODES.invalidDocument, message: '"edges" must be a list.' });
  return { nodes: Array.isArray(d.nodes) ? d.nodes : [], edges: Array.isArray(d.edges) ? d.edges : [] };
}

/** Nodes: shape, duplicates, known type, params. A node that passes the first two gets a slot. */
function acceptNodes(rawNodes: unknown[], registry: NodeRegistry, issues: Issue[]): NodeTable {
  const nodeCount = rawNodes.length;
  const table: NodeTable = {
    ids: [],
    slotOf: new Map(),
    nodes: [],
    index: new Int32Array(nodeCount),
    defs: [],
    checks: [],
  };
  const { ids, slotOf, nodes, index, defs, checks } = table;
  for (let i = 0; i < nodeCount; i++) {
    const raw = rawNodes[i];
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
    const known = slotOf.get(node.id);
    if (known !== undefined) {
      issues.push({
        path: ['nodes', i, 'id'],
        code: ISSUE_CODES.duplicateNodeId,
        message: `Two nodes have the id "${node.id}" (nodes ${index[known]} and ${i}); ids must be unique.`,
        nodeId: node.id,
      });
      continue;
    }
    const slot = ids.length;
    slotOf.set(node.id, slot);
    ids.push(node.id);
    nodes.push(node);
    index[slot] = i;
    defs.push(check.def);
    checks.push(check);
    if (!check.def) {
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
  return table;
}

/** Every dependency an edge makes, in document order; `port` is the input's index, -1 for a dependency only. */
interface LinkTable {
  count: number;
  from: Int32Array;
  to: Int32Array;
  port: Int32Array;
  edge: GraphEdge[];
  settings: EdgeSettings;
  edgeIds: Set<string>;
}

/**
 * Edges: each one on its own (shape, duplicate id, then `checkEdge`). Every dependency becomes a link
 * (document order); a link whose ports are valid is also a wire, with the index of its input port.
 */
function readEdges(rawEdges: unknown[], table: NodeTable, shapes: DefShapes, issues: Issue[]): LinkTable {
  const edgeCount = rawEdges.length;
  const links: LinkTable = {
    count: 0,
    from: new Int32Array(edgeCount),
    to: new Int32Array(edgeCount),
    port: new Int32Array(edgeCount),
    edge: [],
    settings: new Map(),
    edgeIds: new Set(),
  };
  const edgeIds = links.edgeIds;
  const ends: EdgeEnds = { from: -1, to: -1 };
  for (let i = 0; i < edgeCount; i++) {
    const raw = rawEdges[i];
    if (!edgeShapeOk(raw, i, issues)) continue;
    const edge = raw as GraphEdge;
    // one hash lookup per edge: add, and see whether the set grew
    const distinct = edgeIds.size;
    edgeIds.add(edge.id);
    if (edgeIds.size === distinct) {
      issues.push(duplicateEdgeIssue(edge, i));
      continue;
    }
    const port = checkEdge(edge, i, table, shapes, issues, ends, links.settings);
    if (port === NO_LINK) continue;
    const k = links.count++;
    links.from[k] = ends.from;
    links.to[k] = ends.to;
    links.port[k] = port;
    links.edge.push(edge);
  }
  return links;
}

/** No dependency at all: both ends are known nodes of known types, and a port is not theirs. */
export const NO_LINK = -2;
/** A dependency but no wire: one end's type is unknown, so its ports cannot be checked (cycles still can). */
export const DEPENDENCY_ONLY = -1;

/** The slots an edge connects, filled by `checkEdge`. */
export interface EdgeEnds {
  from: number;
  to: number;
}

/** True when an edge has the shape of one; otherwise its shape issues, at `edges.<at>`, are added. */
export function edgeShapeOk(raw: unknown, at: number, issues: Issue[]): boolean {
  const parsed = looksLikeEdge(raw) ? undefined : parseSchema(GraphEdgeSchema, raw);
  if (!parsed || parsed.success) return true;
  for (const zi of parsed.error.issues) {
    issues.push({
      path: ['edges', at, ...toIssuePath(zi.path)],
      code: ISSUE_CODES.invalidEdge,
      message: describeZodIssue(['edges', at, ...zi.path], zi.message),
    });
  }
  return false;
}

/** The issue of an edge whose id an earlier edge has. */
export function duplicateEdgeIssue(edge: GraphEdge, at: number): Issue {
  return {
    path: ['edges', at, 'id'],
    code: ISSUE_CODES.duplicateEdgeId,
    message: `Two edges have the id "${edge.id}"; ids must be unique.`,
    edgeId: edge.id,
  };
}

/**
 * The checks of one well-shaped edge against the accepted nodes — its ends, its ports and its
 * settings — adding its issues at `edges.<at>`. Validation runs it for every edge and
 * `checkConnection` for the one being made. Returns the input port's index, `DEPENDENCY_ONLY` or
 * `NO_LINK`; `ends` receives the slots; valid settings are parsed into `settings`.
 */
export function checkEdge(
  edge: GraphEdge,
  at: number,
  table: NodeTable,
  shapes: DefShapes,
  issues: Issue[],
  ends: EdgeEnds,
  settings: EdgeSettings | undefined,
): number {
  const from = table.slotOf.get(edge.from.node);
  const to = table.slotOf.get(edge.to.node);
  if (from === undefined || to === undefined) {
    for (const end of ENDS) {
      if ((end === 'from' ? from : to) !== undefined) continue;
      issues.push({
        path: ['edges', at, end, 'node'],
        code: ISSUE_CODES.danglingEdge,
        message: `Edge "${edge.id}" ${end === 'from' ? 'starts at' : 'ends at'} node "${edge[end].node}", which is not in the graph.`,
        edgeId: edge.id,
      });
    }
    return NO_LINK;
  }
  ends.from = from;
  ends.to = to;
  const fromDef = table.defs[from];
  const toDef = table.defs[to];
  let ok = true;
  if (fromDef && !Object.hasOwn(fromDef.outputs, edge.from.port)) {
    ok = false;
    issues.push({
      path: ['edges', at, 'from', 'port'],
      code: ISSUE_CODES.unknownPort,
      message: `Node "${edge.from.node}" (${table.nodes[from]!.type}) has no output "${edge.from.port}"; its outputs are ${listNames(Object.keys(fromDef.outputs))}.`,
      edgeId: edge.id,
      nodeId: edge.from.node,
    });
  }
  let port = -1;
  if (toDef) {
    port = shapes.of(toDef).inputPorts.indexOf(edge.to.port);
    if (port < 0) {
      ok = false;
      issues.push({
        path: ['edges', at, 'to', 'port'],
        code: ISSUE_CODES.unknownPort,
        message: `Node "${edge.to.node}" (${table.nodes[to]!.type}) has no input "${edge.to.port}"; its inputs are ${listNames(Object.keys(toDef.inputs ?? {}))}.`,
        edgeId: edge.id,
        nodeId: edge.to.node,
      });
    }
  }
  // keep the dependency even when ports are wrong, so cycles are still found
  if (!fromDef || !toDef) return DEPENDENCY_ONLY;
  if (!ok) return NO_LINK;
  const spec = toDef.inputs![edge.to.port]!;
  if (spec.settings) {
    const s = safeParse(spec.settings, edge.settings ?? {});
    if (s.ok) settings?.set(edge, deepFreeze(s.value));
    else {
      for (const zi of s.issues) {
        issues.push({
          path: ['edges', at, 'settings', ...zi.path],
          code: ISSUE_CODES.invalidSettings,
          message: `Edge "${edge.id}" into "${edge.to.node}.${edge.to.port}": ${zi.path.length > 0 ? `setting "${zi.path.join('.')}"` : 'its settings'}: ${zi.message}.`,
          edgeId: edge.id,
          nodeId: edge.to.node,
        });
      }
    }
  }
  return port;
}

/** The links as compressed rows: distinct dependencies both ways, and the wires into each node by port. */
function groupLinks(
  n: number,
  links: LinkTable,
): Pick<Analysis, 'depStart' | 'deps' | 'outStart' | 'outs'> & WireTable {
  const { count, from: linkFrom, to: linkTo, port: linkPort } = links;
  // Links grouped by target, document order kept within a target (a stable counting sort).
  const byToStart = new Int32Array(n + 1);
  for (let k = 0; k < count; k++) byToStart[linkTo[k]! + 1]!++;
  for (let s = 0; s < n; s++) byToStart[s + 1]! += byToStart[s]!;
  const byTo = new Int32Array(count);
  {
    const fill = byToStart.slice(0, n);
    for (let k = 0; k < count; k++) byTo[fill[linkTo[k]!]!++] = k;
  }
  // Distinct upstream slots per target (first occurrence in document order), and which links are
  // those first occurrences, so the downstream lists come out in document order too.
  const depStart = new Int32Array(n + 1);
  const depsAll = new Int32Array(count);
  const firstLink = new Uint8Array(count);
  const stamp = new Int32Array(n).fill(-1);
  let depCount = 0;
  let wireCount = 0;
  const outCount = new Int32Array(n + 1);
  for (let s = 0; s < n; s++) {
    depStart[s] = depCount;
    for (let p = byToStart[s]!; p < byToStart[s + 1]!; p++) {
      const k = byTo[p]!;
      const f = linkFrom[k]!;
      if (linkPort[k]! >= 0) wireCount++;
      if (stamp[f] === s) continue;
      stamp[f] = s;
      depsAll[depCount++] = f;
      firstLink[k] = 1;
      outCount[f + 1]!++;
    }
  }
  depStart[n] = depCount;
  const deps = depCount === count ? depsAll : depsAll.slice(0, depCount);
  for (let s = 0; s < n; s++) outCount[s + 1]! += outCount[s]!;
  const outStart = outCount;
  const outs = new Int32Array(depCount);
  {
    const fill = outStart.slice(0, n);
    for (let k = 0; k < count; k++) if (firstLink[k]) outs[fill[linkFrom[k]!]!++] = linkTo[k]!;
  }
  // Wires per target: valid links only, by input port (definition order), then document order.
  const wireStart = new Int32Array(n + 1);
  const wireEdge: GraphEdge[] = new Array(wireCount);
  const wireFrom = new Int32Array(wireCount);
  const wirePort = new Int32Array(wireCount);
  let w = 0;
  for (let s = 0; s < n; s++) {
    wireStart[s] = w;
    const begin = w;
    let sorted = true;
    for (let p = byToStart[s]!; p < byToStart[s + 1]!; p++) {
      const k = byTo[p]!;
      const port = linkPort[k]!;
      if (port < 0) continue;
      if (w > begin && port < wirePort[w - 1]!) sorted = false;
      wireEdge[w] = links.edge[k]!;
      wireFrom[w] = linkFrom[k]!;
      wirePort[w] = port;
      w++;
    }
    if (!sorted) sortSegment(wireEdge, wireFrom, wirePort, begin, w);
  }
  wireStart[n] = w;
  return { depStart, deps, outStart, outs, wireStart, wireEdge, wireFrom, wirePort };
}

/** Required inputs left unconnected, and connections beyond what an input takes. */
function checkConnectionCounts(
  table: NodeTable,
  shapes: DefShapes,
  wires: WireTable,
  issues: Issue[],
  edgeAt: (edge: GraphEdge) => number,
): void {
  const { wireStart, wireEdge, wirePort } = wires;
  for (let s = 0; s < table.ids.length; s++) {
    const def = table.defs[s];
    if (!def) continue;
    const inputs = def.inputs;
    if (!inputs) continue;
    const ports = shapes.of(def).inputPorts;
    let w = wireStart[s]!;
    const end = wireStart[s + 1]!;
    for (let port = 0; port < ports.length; port++) {
      const begin = w;
      while (w < end && wirePort[w] === port) w++;
      const count = w - begin;
      const name = ports[port]!;
      const spec = inputs[name]!;
      if (count === 0) {
        if (!spec.optional) {
          issues.push({
            path: ['nodes', table.index[s]!],
            code: ISSUE_CODES.missingInput,
            message: `Node "${table.ids[s]}" needs a connection to its input "${spec.label ?? name}".`,
            nodeId: table.ids[s]!,
          });
        }
        continue;
      }
      const max = maxConnections(spec);
      if (max !== undefined && count > max) {
        for (let x = begin + max; x < w; x++) {
          const extra = wireEdge[x]!;
          issues.push(tooManyIssue(spec, name, table.ids[s]!, count, extra, edgeAt(extra)));
        }
      }
    }
  }
}

/** How many connections an input takes (undefined: no limit). */
export function maxConnections(spec: InputSpec): number | undefined {
  return spec.multiple ? spec.max : 1;
}

/** The issue of a connection beyond what its input takes (`count` is how many the input has). */
export function tooManyIssue(
  spec: InputSpec,
  name: string,
  nodeId: string,
  count: number,
  edge: GraphEdge,
  at: number,
): Issue {
  return {
    path: ['edges', at],
    code: ISSUE_CODES.tooManyConnections,
    message: spec.multiple
      ? `Input "${spec.label ?? name}" of node "${nodeId}" takes at most ${spec.max} connections but has ${count}.`
      : `Input "${spec.label ?? name}" of node "${nodeId}" takes one connection but has ${count}.`,
    edgeId: edge.id,
    nodeId,
  };
}

/** The issue of one cycle, listed from the node whose id sorts first; `nodeIndex` is that node's place in `doc.nodes`. */
export function cycleIssue(cycle: readonly string[], nodeIndex: number): Issue {
  return {
    path: ['nodes', nodeIndex],
    code: ISSUE_CODES.cycle,
    message: `The graph has a cycle: ${[...cycle, cycle[0]].map((id) => `"${id}"`).join(' → ')}; a node cannot depend on its own output.`,
    nodeId: cycle[0]!,
  };
}

/** Types, in topological order so output types can depend on the input types; then each node's rules. */
function resolveTypes(
  table: NodeTable,
  shapes: DefShapes,
  wires: WireTable,
  order: Int32Array,
  types: TypeRegistry,
  issues: Issue[],
  edgeAt: (edge: GraphEdge) => number,
): Array<Record<string, PortType> | undefined> {
  const outputTypes: Array<Record<string, PortType> | undefined> = new Array(table.ids.length);
  const verdicts = new ConnectMemo(types);
  const { wireStart, wireEdge, wireFrom, wirePort } = wires;
  for (let o = 0; o < order.length; o++) {
    const s = order[o]!;
    const def = table.defs[s];
    const check = table.checks[s]!;
    if (!def || !check.paramsOk) continue;
    const shape = shapes.of(def);
    const outputs = shapes.outputs(def);
    const ports = shape.inputPorts;
    let w = wireStart[s]!;
    const end = wireStart[s + 1]!;
    for (let port = 0; port < ports.length; port++) {
      const toType = resolveInputType(def.inputs![ports[port]!]!, check.params);
      for (; w < end && wirePort[w] === port; w++) {
        const edge = wireEdge[w]!;
        const fromType = outputTypes[wireFrom[w]!]?.[edge.from.port];
        if (!fromType) continue;
        const issue = wireIssue(verdicts, fromType, toType, edge, table.ids[s]!, edgeAt);
        if (issue) issues.push(issue);
      }
    }
    // fixed output types and no rules: the connections only needed checking, nothing is collected
    if (outputs.fixedOutputs && !def.validate) {
      outputTypes[s] = outputs.fixedOutputs;
      continue;
    }
    const inputs = gatherInputs(wires, outputTypes, s, ports);
    outputTypes[s] =
      outputs.fixedOutputs ?? outputTypesOf(def, outputs.outputPorts, check.params, inputs.types);
    if (def.validate) {
      pushRuleIssues(issues, def, table.ids[s]!, table.index[s]!, check.params, inputs, edgeAt);
    }
  }
  return outputTypes;
}

/** `canConnect` with its last answer kept: fixed types are shared objects, so runs of one pair are common. */
export class ConnectMemo {
  private from: PortType | undefined;
  private to: PortType | undefined;
  private verdict: ConnectResult | undefined;
  constructor(private readonly types: TypeRegistry) {}

  check(from: PortType, to: PortType): ConnectResult {
    if (from === this.from && to === this.to) return this.verdict!;
    this.from = from;
    this.to = to;
    this.verdict = canConnect(from, to, this.types);
    return this.verdict;
  }
}

/** The type check of one wire: its issue when the output's type cannot feed the input's. */
export function wireIssue(
  verdicts: ConnectMemo,
  fromType: PortType,
  toType: PortType,
  edge: GraphEdge,
  nodeId: string,
  edgeAt: (edge: GraphEdge) => number,
): Issue | undefined {
  const verdict = verdicts.check(fromType, toType);
  if (verdict.ok) return undefined;
  return {
    path: ['edges', edgeAt(edge)],
    code: verdict.code,
    message: `Edge "${edge.id}" (${edge.from.node}.${edge.from.port} → ${edge.to.node}.${edge.to.port}): ${verdict.reason}`,
    edgeId: edge.id,
    nodeId,
  };
}

/** What a node's rules and output types see of its connections, per input port, in connection order. */
export interface NodeInputs {
  types: Record<string, PortType[]>;
  settings: Record<string, Array<Record<string, unknown>>>;
  edges: Record<string, GraphEdge[]>;
}

/** The typed connections into slot `s` (a connection whose output has no type is left out). */
export function gatherInputs(
  wires: WireTable,
  outputTypes: ReadonlyArray<Record<string, PortType> | undefined>,
  s: number,
  ports: readonly string[],
): NodeInputs {
  const inputs: NodeInputs = { types: {}, settings: {}, edges: {} };
  let w = wires.wireStart[s]!;
  const end = wires.wireStart[s + 1]!;
  for (let port = 0; port < ports.length; port++) {
    const types: PortType[] = [];
    const settings: Array<Record<string, unknown>> = [];
    const edges: GraphEdge[] = [];
    for (; w < end && wires.wirePort[w] === port; w++) {
      const edge = wires.wireEdge[w]!;
      const type = outputTypes[wires.wireFrom[w]!]?.[edge.from.port];
      if (!type) continue;
      types.push(type);
      settings.push(isPlainRecord(edge.settings) ? edge.settings : {});
      edges.push(edge);
    }
    const name = ports[port]!;
    inputs.types[name] = types;
    inputs.settings[name] = settings;
    inputs.edges[name] = edges;
  }
  return inputs;
}

/** Output types that depend on params or input types, from the definition's functions. */
function outputTypesOf(
  def: AnyNodeDefinition,
  outputPorts: readonly string[],
  params: unknown,
  inputTypes: Record<string, PortType[]>,
): Record<string, PortType> {
  const outs: Record<string, PortType> = {};
  for (const port of outputPorts) {
    const spec = def.outputs[port]!;
    outs[port] = typeof spec.type === 'function' ? spec.type({ params, inputTypes }) : spec.type;
  }
  return outs;
}

/** Adds the issues of a node's own rules (`validate`); a problem of one connection points at its edge. */
export function pushRuleIssues(
  issues: Issue[],
  def: AnyNodeDefinition,
  nodeId: string,
  nodeIndex: number,
  params: unknown,
  inputs: NodeInputs,
  edgeAt: (edge: GraphEdge) => number,
): void {
  if (!def.validate) return;
  for (const problem of def.validate({ params, inputTypes: inputs.types, inputSettings: inputs.settings })) {
    // a problem of one connection (a LoRA's strength) points at that edge, where the editor shows it
    const edge = problem.connection
      ? inputs.edges[problem.connection.port]?.[problem.connection.index]
      : undefined;
    issues.push({
      path: edge
        ? ['edges', edgeAt(edge), ...(problem.path ?? [])]
        : ['nodes', nodeIndex, ...(problem.path ?? [])],
      code: problem.code || ISSUE_CODES.nodeRule,
      message: `Node "${nodeId}": ${problem.message}`,
      nodeId,
      ...(edge ? { edgeId: edge.id } : {}),
    });
  }
}

/**
 * An edge's position in `rawEdges`, for issue paths; the map is built on the first issue that asks
 * (an edge object listed twice is a duplicate id the second time, so its first index is the one).
 */
export function edgeIndexer(rawEdges: readonly unknown[]): (edge: GraphEdge) => number {
  let map: Map<unknown, number> | undefined;
  return (edge) => {
    if (!map) {
      map = new Map();
      for (let i = 0; i < rawEdges.length; i++) if (!map.has(rawEdges[i])) map.set(rawEdges[i], i);
    }
    return map.get(edge)!;
  };
}

/** Stable insertion sort of one node's wires by port index (segments are a handful of wires). */
function sortSegment(
  edges: GraphEdge[],
  from: Int32Array,
  port: Int32Array,
  begin: number,
  end: number,
): void {
  for (let i = begin + 1; i < end; i++) {
    const e = edges[i]!;
    const f = from[i]!;
    const p = port[i]!;
    let j = i - 1;
    while (j >= begin && port[j]! > p) {
      edges[j + 1] = edges[j]!;
      from[j + 1] = from[j]!;
      port[j + 1] = port[j]!;
      j--;
    }
    edges[j + 1] = e;
    from[j + 1] = f;
    port[j + 1] = p;
  }
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

/** Per definition, within one analysis: its port names, and its output types when they are fixed. */
export class DefShapes {
  private readonly shapes = new Map<AnyNodeDefinition, DefShape>();

  of(def: AnyNodeDefinition): DefShape {
    let shape = this.shapes.get(def);
    if (!shape) {
      shape = { inputPorts: Object.keys(def.inputs ?? {}) };
      this.shapes.set(def, shape);
    }
    return shape;
  }

  /** Outputs are looked at only for nodes whose params passed, as they always were. */
  outputs(def: AnyNodeDefinition): OutputShape {
    const shape = this.of(def);
    if (!shape.outputs) shape.outputs = outputShape(def);
    return shape.outputs;
  }
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

// shared by every check whose params passed (it is only ever read)
const NO_ISSUES: NodeCheck['paramIssues'] = Object.freeze([]) as unknown as NodeCheck['paramIssues'];

// Frozen nodes and edges cannot change, so their checks are remembered (the editor re-validates on every keystroke).
const nodeChecks = new WeakMap<NodeRegistry, WeakMap<object, NodeCheck>>();

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
  const parsed = looksLikeNode(raw) ? undefined : parseSchema(GraphNodeSchema, raw);
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
// what zod's z.object accepts (any non-array object); its records want a plain prototype (isRecord)
function isObj(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
function isId(v: unknown): boolean {
  return typeof v === 'string' && v.length >= 1 && v.length <= 200;
}
function isEnd(v: unknown): boolean {
  return isObj(v) && isId(v.node) && typeof v.port === 'string' && v.port.length >= 1;
}
/** True when a value certainly passes `GraphNodeSchema` (internal fast path; false means "ask zod"). */
export function looksLikeNode(v: unknown): boolean {
  if (!isObj(v) || !isId(v.id) || typeof v.type !== 'string' || v.type.length === 0) return false;
  if (v.params !== undefined && !isRecord(v.params)) return false;
  if (v.label !== undefined && typeof v.label !== 'string') return false;
  const p = v.position;
  return p === undefined || (isObj(p) && Number.isFinite(p.x) && Number.isFinite(p.y));
}
/** True when a value certainly passes `GraphEdgeSchema` (internal fast path; false means "ask zod"). */
export function looksLikeEdge(v: unknown): boolean {
  if (!isObj(v) || !isId(v.id) || !isEnd(v.from) || !isEnd(v.to)) return false;
  return v.settings === undefined || isRecord(v.settings);
}

/** An input's declared type for the given (parsed) params. */
export function resolveInputType(spec: InputSpec, params: unknown): PortType {
  return typeof spec.type === 'function' ? spec.type(params) : spec.type;
}

const ENDS = ['from', 'to'] as const;

function listNames(names: string[]): string {
  return names.length === 0 ? 'none' : names.map((n) => `"${n}"`).join(', ');
}

function safeParse(
  schema: AnySchema,
  value: unknown,
): { ok: true; value: unknown } | { ok: false; issues: { path: (string | number)[]; message: string }[] } {
  const r = parseSchema(schema, value);
  if (r.success) return { ok: true, value: r.data };
  return {
    ok: false,
    issues: r.error.issues.map((i) => ({
      path: toIssuePath(i.path),
      message: i.message.replace(/\.$/, ''),
    })),
  };
}

/** Kahn's algorithm; nodes left over are in or behind cycles, which are then listed one per strongly connected component. */
function topoSort(
  n: number,
  depStart: Int32Array,
  outStart: Int32Array,
  outs: Int32Array,
  ids: string[],
): { order: Int32Array; cycles: string[][] } {
  const indegree = new Int32Array(n);
  const order = new Int32Array(n);
  let placed = 0;
  for (let s = 0; s < n; s++) {
    indegree[s] = depStart[s + 1]! - depStart[s]!;
    if (indegree[s] === 0) order[placed++] = s;
  }
  for (let head = 0; head < placed; head++) {
    const s = order[head]!;
    for (let p = outStart[s]!; p < outStart[s + 1]!; p++) {
      const next = outs[p]!;
      if (--indegree[next]! === 0) order[placed++] = next;
    }
  }
  if (placed === n) return { order, cycles: [] };
  const done = new Uint8Array(n);
  for (let k = 0; k < placed; k++) done[order[k]!] = 1;
  const rest: number[] = [];
  for (let s = 0; s < n; s++) if (!done[s]) rest.push(s);
  const dependents = (s: number): number[] => Array.from(outs.subarray(outStart[s]!, outStart[s + 1]!));
  return {
    order: order.slice(0, placed),
    cycles: findCycles(rest, dependents, ids).map((c) => c.map((s) => ids[s]!)),
  };
}

/** Iterative Tarjan over the leftover nodes, then one concrete cycle path per component (rare: only for broken graphs). */
function findCycles(rest: number[], dependents: (s: number) => number[], ids: string[]): number[][] {
  const inRest = new Set(rest);
  const index = new Map<number, number>();
  const low = new Map<number, number>();
  const onStack = new Set<number>();
  const stack: number[] = [];
  const components: number[][] = [];
  let counter = 0;
  for (const root of rest) {
    if (index.has(root)) continue;
    const work: Array<{ id: number; i: number; succ: number[] }> = [
      { id: root, i: 0, succ: dependents(root) },
    ];
    index.set(root, counter);
    low.set(root, counter++);
    stack.push(root);
    onStack.add(root);
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      const succ = frame.succ;
      if (frame.i < succ.length) {
        const next = succ[frame.i++]!;
        if (!inRest.has(next)) continue;
        if (!index.has(next)) {
          index.set(next, counter);
          low.set(next, counter++);
          stack.push(next);
          onStack.add(next);
          work.push({ id: next, i: 0, succ: dependents(next) });
        } else if (onStack.has(next)) {
          low.set(frame.id, Math.min(low.get(frame.id)!, index.get(next)!));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.id, Math.min(low.get(parent.id)!, low.get(frame.id)!));
      if (low.get(frame.id) === index.get(frame.id)) {
        const component: number[] = [];
        let member: number;
        do {
          member = stack.pop()!;
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.id);
        const selfLoop = component.length === 1 && dependents(member).includes(member);
        if (component.length > 1 || selfLoop) components.push(component);
      }
    }
  }
  return components.map((c) => cyclePath(c, dependents, ids));
}

/** A shortest cycle through the component's first member (breadth-first inside the component). */
export function cyclePath(component: number[], dependents: (s: number) => number[], ids: string[]): number[] {
  const members = new Set(component);
  // the member whose id sorts first, so the message does not depend on document order
  let start = component[0]!;
  for (const s of component) if (ids[s]! < ids[start]!) start = s;
  const parent = new Map<number, number>();
  const queue = [start];
  for (let head = 0; head < queue.length; head++) {
    const id = queue[head]!;
    for (const next of dependents(id)) {
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
