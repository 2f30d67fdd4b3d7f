import type { GraphEdge } from './document';
import { ISSUE_CODES, type Issue } from './issues';
import { isDeepFrozen } from './json';
import type { NodeRegistry } from './node';
import type { PortType } from './types';
import {
  type Analysis,
  analyseGraph,
  ConnectMemo,
  checkEdge,
  cycleIssue,
  cyclePath,
  DefShapes,
  duplicateEdgeIssue,
  type EdgeEnds,
  edgeIndexer,
  edgeShapeOk,
  gatherInputs,
  internalIssue,
  maxConnections,
  NO_LINK,
  type NodeInputs,
  pushRuleIssues,
  resolveInputType,
  tooManyIssue,
  wireIssue,
} from './validate';

/**
 * One end of a connection: a node id and one of its port names.
 *
 * @example
 * const from: PortRef = { node: 'style', port: 'lora' };
 */
export interface PortRef {
  node: string;
  port: string;
}

/**
 * The edge a connection check imagines.
 *
 * @example
 * checkConnection(doc, registry, from, to, { id: 'e7', settings: { scale: 0.8 }, replace: true });
 */
export interface ConnectionOptions {
  /** The new edge's id; by default one no edge has ("new", "new-2", ...), which the sentences then name. */
  id?: string;
  /** The new edge's per-connection settings, checked against its input's schema. */
  settings?: Record<string, unknown>;
  /**
   * When the input takes one connection, the new edge replaces every edge it already has (as an
   * editor does on drop) instead of being one too many.
   */
  replace?: boolean;
}

/**
 * The answer of `checkConnection`: ok, or the issues validation would report for that edge.
 *
 * @example
 * const r: ConnectionCheck = checkConnection(doc, registry, from, to);
 * if (!r.ok) showTooltip(r.issues[0].message);
 */
export type ConnectionCheck = { ok: true } | { ok: false; issues: Issue[] };

/**
 * A document as validation sees it: its issues, the port types of its nodes as validation resolved
 * them, and the connection check, all from one analysis. Keep it while the document does not change:
 * each check then costs a few lookups (plus, once per dragged-from port, one walk of the graph).
 *
 * @example
 * const graph = resolveGraph(doc, registry);
 * graph.outputTypes('blend')?.lora; // { kind: 'lora', params: { family: 'flux.1', ... } }
 * graph.checkConnection({ node: 'blend', port: 'lora' }, { node: 'render', port: 'loras' });
 */
export interface ResolvedGraph {
  /** Every issue of the document: what `validateGraph` returns. */
  readonly issues: readonly Issue[];
  /**
   * The type of each output of a node, as validation resolved it from the node's params and the
   * types connected to it. For a node validation could not type (its params fail, or it is in or
   * behind a cycle) only the outputs whose type is fixed; undefined for an unknown node or type.
   */
  outputTypes(nodeId: string): Readonly<Record<string, PortType>> | undefined;
  /** The type of each input of a node for its params; likewise only the fixed ones when its params fail. */
  inputTypes(nodeId: string): Readonly<Record<string, PortType>> | undefined;
  /** `checkConnection` on this document. */
  checkConnection(from: PortRef, to: PortRef, options?: ConnectionOptions): ConnectionCheck;
}

/**
 * Analyses a document once for its issues, resolved port types and connection checks. A deeply
 * frozen document (as `applyChanges` makes) is analysed once per registry and remembered.
 *
 * @example
 * const graph = resolveGraph(doc, registry);
 * if (graph.issues.length === 0) run(doc);
 */
export function resolveGraph(doc: unknown, registry: NodeRegistry): ResolvedGraph {
  if (doc === null || typeof doc !== 'object' || !isDeepFrozen(doc)) return new Resolved(doc, registry);
  let byDoc = remembered.get(registry);
  if (!byDoc) {
    byDoc = new WeakMap();
    remembered.set(registry, byDoc);
  }
  // packs only ever add to a registry, so the counts tell whether a kept graph is out of date
  const stamp = `${registry.nodes().length}:${registry.types.kinds().length}`;
  const known = byDoc.get(doc);
  if (known && known.stamp === stamp) return known.graph;
  const graph = new Resolved(doc, registry);
  byDoc.set(doc, { stamp, graph });
  return graph;
}

const remembered = new WeakMap<NodeRegistry, WeakMap<object, { stamp: string; graph: Resolved }>>();

/**
 * Whether an edge from `from` to `to` may be added to `doc`: ok, or the issues `validateGraph` would
 * report for the document with that edge appended that are about the edge — its own (unknown node
 * or port, settings, one connection too many, type mismatch with both types), the cycle it closes
 * (with the cycle), and new problems of the target node's rules (mixed families, ...) — with the
 * same codes, paths and sentences, since validation runs the same checks for every edge. Never throws.
 *
 * @example
 * const r = checkConnection(doc, registry, { node: 'style', port: 'lora' }, { node: 'render', port: 'loras' });
 * if (!r.ok) console.log(r.issues[0].code, r.issues[0].message);
 */
export function checkConnection(
  doc: unknown,
  registry: NodeRegistry,
  from: PortRef,
  to: PortRef,
  options: ConnectionOptions = {},
): ConnectionCheck {
  return resolveGraph(doc, registry).checkConnection(from, to, options);
}

/** The new edge closes a cycle: validation then types nothing behind it. */
const CLOSES_CYCLE = Symbol('closes a cycle');

const OK: ConnectionCheck = Object.freeze({ ok: true as const });

function answer(issues: Issue[]): ConnectionCheck {
  return issues.length === 0 ? OK : { ok: false, issues };
}

/** One problem apart from where it sits: the same rule finding keeps its key when edges before it move. */
function issueKey(issue: Issue): string {
  return JSON.stringify([
    issue.code,
    issue.message,
    issue.nodeId ?? null,
    issue.edgeId ?? null,
    issue.path.slice(2),
  ]);
}

/** Counts of keys, taken one at a time: what is left after `take` is what was new. */
class KeyBag {
  private readonly counts = new Map<string, number>();
  constructor(issues: readonly Issue[]) {
    for (const issue of issues) this.add(issueKey(issue));
  }
  add(key: string): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }
  take(key: string): boolean {
    const c = this.counts.get(key);
    if (!c) return false;
    this.counts.set(key, c - 1);
    return true;
  }
}

/** Which nodes one node reaches (or is reached from), kept for the next checks of the same drag. */
interface Reach {
  slot: number;
  set: Uint8Array;
}

class Resolved implements ResolvedGraph {
  readonly issues: readonly Issue[];
  private readonly a: Analysis;
  private readonly shapes = new DefShapes();
  private readonly verdicts: ConnectMemo;
  private readonly rawEdges: readonly unknown[] | undefined;
  /** A definition threw during the analysis, which then knows nothing to check against. */
  private readonly broken: boolean;
  private edgeAt: ((edge: GraphEdge) => number) | undefined;
  private position: Int32Array | undefined;
  private into: Map<string, number[]> | undefined;
  private duplicateIds: boolean | undefined;
  private ids: Set<string> | undefined;
  private ancestors: Reach | undefined;
  private descendants: Reach | undefined;
  private lastTo = -1;
  private lastFrom = -1;
  private readonly outputMemo = new Map<number, Readonly<Record<string, PortType>>>();
  private readonly inputMemo = new Map<number, Readonly<Record<string, PortType>>>();

  constructor(
    private readonly doc: unknown,
    private readonly registry: NodeRegistry,
  ) {
    this.a = analyseGraph(doc, registry);
    this.issues = this.a.issues;
    this.verdicts = new ConnectMemo(registry.types);
    const d = doc as { nodes?: unknown; edges?: unknown } | null;
    const usable = d !== null && typeof d === 'object' && Array.isArray(d.nodes) && Array.isArray(d.edges);
    this.rawEdges = usable ? (d.edges as unknown[]) : undefined;
    this.broken = this.issues.some((i) => i.code === 'validation.internal');
  }

  outputTypes(nodeId: string): Readonly<Record<string, PortType>> | undefined {
    const s = this.a.slotOf.get(nodeId);
    const def = s === undefined ? undefined : this.a.defs[s];
    if (s === undefined || !def) return undefined;
    const resolved = this.a.outputTypes[s];
    if (resolved) return resolved;
    let fixed = this.outputMemo.get(s);
    if (!fixed) {
      const types: Record<string, PortType> = {};
      for (const [name, spec] of Object.entries(def.outputs))
        if (typeof spec.type !== 'function') types[name] = spec.type;
      fixed = types;
      this.outputMemo.set(s, fixed);
    }
    return fixed;
  }

  inputTypes(nodeId: string): Readonly<Record<string, PortType>> | undefined {
    const s = this.a.slotOf.get(nodeId);
    const def = s === undefined ? undefined : this.a.defs[s];
    if (s === undefined || !def) return undefined;
    let types = this.inputMemo.get(s);
    if (!types) {
      const check = this.a.checks[s]!;
      const resolved: Record<string, PortType> = {};
      for (const [name, spec] of Object.entries(def.inputs ?? {})) {
        if (typeof spec.type !== 'function') resolved[name] = spec.type;
        else if (check.paramsOk) {
          try {
            resolved[name] = resolveInputType(spec, check.params);
          } catch {
            // a type function that throws has no type to show; validation reports it
          }
        }
      }
      types = resolved;
      this.inputMemo.set(s, types);
    }
    return types;
  }

  checkConnection(from: PortRef, to: PortRef, options: ConnectionOptions = {}): ConnectionCheck {
    const a = this.a;
    if (!this.rawEdges) return answer(a.issues.filter((i) => i.path.length <= 1));
    const edge: GraphEdge = {
      id: options.id ?? this.freshId(),
      from: { node: from?.node, port: from?.port },
      to: { node: to?.node, port: to?.port },
    };
    if (options.settings !== undefined) edge.settings = options.settings;
    const removed = options.replace ? this.replaced(edge) : [];
    const simple =
      !a.hasCycle &&
      !this.broken &&
      (removed.length === 0 || (!this.hasDuplicateIds() && !this.edgeIds().has(edge.id)));
    try {
      return simple ? this.quickCheck(edge, removed) : this.fullCheck(edge, removed);
    } catch (error) {
      // a definition's type function or rule threw on the new connection, as it would in validation
      return answer([internalIssue(error)]);
    }
  }

  /**
   * The check on an acyclic document without rebuilding it: the new edge's own checks, its input's
   * count, the cycle it would close, its type and the target's rules, from the analysis in hand.
   */
  private quickCheck(edge: GraphEdge, removed: readonly number[]): ConnectionCheck {
    const issues: Issue[] = [];
    const at = this.rawEdges!.length - removed.length;
    const wire = this.quickEdge(edge, at, removed.length > 0, issues);
    if (wire === CLOSES_CYCLE) return answer(issues);
    // the target's rules see a new typed connection, or its old ones gone
    if (wire || removed.length > 0) this.quickRules(edge, at, wire, removed, issues);
    return answer(issues);
  }

  /** The new edge's own checks, count, cycle and type; its output's type when it is a typed wire. */
  private quickEdge(
    edge: GraphEdge,
    at: number,
    replacing: boolean,
    issues: Issue[],
  ): PortType | typeof CLOSES_CYCLE | undefined {
    const a = this.a;
    if (!edgeShapeOk(edge, at, issues)) return undefined;
    if (this.edgeIds().has(edge.id)) {
      issues.push(duplicateEdgeIssue(edge, at));
      return undefined;
    }
    const ends: EdgeEnds = { from: -1, to: -1 };
    const port = checkEdge(edge, at, a, this.shapes, issues, ends, undefined);
    if (port === NO_LINK) return undefined;
    const s = ends.to;
    const def = a.defs[s];
    if (port >= 0) {
      const spec = def!.inputs![edge.to.port]!;
      const max = maxConnections(spec);
      const count = (replacing ? 0 : this.wiresOn(s, port)) + 1;
      if (max !== undefined && count > max)
        issues.push(tooManyIssue(spec, edge.to.port, a.ids[s]!, count, edge, at));
    }
    if (this.reaches(s, ends.from)) {
      issues.push(this.cycleThrough(ends.from, s));
      return CLOSES_CYCLE;
    }
    const check = a.checks[s]!;
    if (port < 0 || !def || !check.paramsOk) return undefined;
    const fromType = a.outputTypes[ends.from]?.[edge.from.port];
    if (!fromType) return undefined;
    const toType = resolveInputType(def.inputs![edge.to.port]!, check.params);
    const issue = wireIssue(this.verdicts, fromType, toType, edge, a.ids[s]!, () => at);
    if (issue) issues.push(issue);
    return fromType;
  }

  /** The target's rule issues that its inputs with the new edge give and its inputs now do not. */
  private quickRules(
    edge: GraphEdge,
    at: number,
    type: PortType | undefined,
    removed: readonly number[],
    issues: Issue[],
  ): void {
    const s = this.a.slotOf.get(edge.to.node);
    const def = s === undefined ? undefined : this.a.defs[s];
    const check = s === undefined ? undefined : this.a.checks[s];
    if (s === undefined || !def || !check?.paramsOk) return;
    const after = this.inputsWith(s, edge, type, removed.length > 0);
    // the target's own output types see the new connection too; a type function may throw on it
    for (const spec of Object.values(def.outputs))
      if (typeof spec.type === 'function') spec.type({ params: check.params, inputTypes: after.types });
    if (!def.validate) return;
    const indexAfter = (e: GraphEdge) => (e === edge ? at : this.indexAfter(e, removed));
    issues.push(...this.newRuleIssues(this.a, s, this.inputsOf(s), after, indexAfter));
  }

  /**
   * The check by validating the document with the edge: for documents with cycles, or a replacement
   * that could revive a duplicate edge id, where the quick check's shortcuts do not hold.
   */
  private fullCheck(edge: GraphEdge, removed: readonly number[]): ConnectionCheck {
    const gone = new Set(removed);
    const edges = this.rawEdges!.filter((_, i) => !gone.has(i));
    edges.push(edge);
    const after = analyseGraph({ ...(this.doc as object), edges }, this.registry);
    const internal = after.issues.filter((i) => i.code === 'validation.internal');
    if (internal.length > 0) return answer(internal);
    const cyclesBefore = new KeyBag(this.a.issues.filter((i) => i.code === ISSUE_CODES.cycle));
    const rules = new KeyBag([]);
    const s = after.slotOf.get(edge.to.node);
    const def = s === undefined ? undefined : after.defs[s];
    if (s !== undefined && def?.validate && after.outputTypes[s]) {
      const was = this.a.slotOf.get(edge.to.node);
      const before = was !== undefined && this.a.outputTypes[was] ? this.inputsOf(was) : undefined;
      const inputs = gatherInputs(after, after.outputTypes, s, this.shapes.of(def).inputPorts);
      for (const issue of this.newRuleIssues(after, s, before, inputs, edgeIndexer(edges)))
        rules.add(issueKey(issue));
    }
    return answer(
      after.issues.filter(
        (i) =>
          // at the new edge's path: its id may be another edge's too
          (i.path[0] === 'edges' && i.path[1] === edges.length - 1) ||
          (i.code === ISSUE_CODES.cycle && i.edgeId === undefined && !cyclesBefore.take(issueKey(i))) ||
          (i.nodeId === edge.to.node && rules.take(issueKey(i))),
      ),
    );
  }

  /** Rule issues of slot `s` (of analysis `a`) with `after` inputs that its `before` inputs did not give. */
  private newRuleIssues(
    a: Analysis,
    s: number,
    before: NodeInputs | undefined,
    after: NodeInputs,
    indexAfter: (edge: GraphEdge) => number,
  ): Issue[] {
    const def = a.defs[s]!;
    const check = a.checks[s]!;
    const was: Issue[] = [];
    if (before) pushRuleIssues(was, def, a.ids[s]!, a.index[s]!, check.params, before, this.indexBefore());
    const now: Issue[] = [];
    pushRuleIssues(now, def, a.ids[s]!, a.index[s]!, check.params, after, indexAfter);
    const old = new KeyBag(was);
    return now.filter((issue) => !old.take(issueKey(issue)));
  }

  /** What the rules of slot `s` see now. */
  private inputsOf(s: number): NodeInputs {
    return gatherInputs(this.a, this.a.outputTypes, s, this.shapes.of(this.a.defs[s]!).inputPorts);
  }

  /** What they would see with `edge` last on its input (its earlier connections gone when it replaces them). */
  private inputsWith(s: number, edge: GraphEdge, type: PortType | undefined, replacing: boolean): NodeInputs {
    const now = this.inputsOf(s);
    const port = edge.to.port;
    const types = replacing ? [] : [...(now.types[port] ?? [])];
    const settings = replacing ? [] : [...(now.settings[port] ?? [])];
    const edges = replacing ? [] : [...(now.edges[port] ?? [])];
    if (type) {
      types.push(type);
      settings.push(edge.settings ?? {});
      edges.push(edge);
    }
    return {
      types: { ...now.types, [port]: types },
      settings: { ...now.settings, [port]: settings },
      edges: { ...now.edges, [port]: edges },
    };
  }

  /** Wires into slot `s` on input `port` (an index into its definition's inputs). */
  private wiresOn(s: number, port: number): number {
    let count = 0;
    for (let w = this.a.wireStart[s]!; w < this.a.wireStart[s + 1]!; w++)
      if (this.a.wirePort[w] === port) count++;
    return count;
  }

  /** Positions in `doc.edges` of the edges a replacing connection removes (none unless its input takes one). */
  private replaced(edge: GraphEdge): number[] {
    const s = this.a.slotOf.get(edge.to.node);
    const def = s === undefined ? undefined : this.a.defs[s];
    const inputs = def?.inputs;
    if (!inputs || !Object.hasOwn(inputs, edge.to.port) || inputs[edge.to.port]!.multiple) return [];
    if (!this.into) {
      this.into = new Map();
      this.rawEdges!.forEach((raw, i) => {
        const end = (raw as { to?: { node?: unknown; port?: unknown } } | null)?.to;
        if (typeof end?.node !== 'string' || typeof end.port !== 'string') return;
        const key = `${end.node}\u0000${end.port}`;
        const list = this.into!.get(key);
        if (list) list.push(i);
        else this.into!.set(key, [i]);
      });
    }
    return this.into.get(`${edge.to.node}\u0000${edge.to.port}`) ?? [];
  }

  /**
   * Ids of the edges whose shape passed, which a new edge must not reuse; made on the first check,
   * not kept in the analysis, which the engine holds on to for every document it remembers.
   */
  private edgeIds(): Set<string> {
    if (!this.ids) {
      this.ids = new Set();
      const ignored: Issue[] = [];
      this.rawEdges!.forEach((raw, i) => {
        if (edgeShapeOk(raw, i, ignored)) this.ids!.add((raw as GraphEdge).id);
      });
    }
    return this.ids;
  }

  private hasDuplicateIds(): boolean {
    this.duplicateIds ??= this.a.issues.some((i) => i.code === ISSUE_CODES.duplicateEdgeId);
    return this.duplicateIds;
  }

  private indexBefore(): (edge: GraphEdge) => number {
    this.edgeAt ??= edgeIndexer(this.rawEdges!);
    return this.edgeAt;
  }

  /** An existing edge's position once the `removed` ones (ascending positions) are gone. */
  private indexAfter(edge: GraphEdge, removed: readonly number[]): number {
    const i = this.indexBefore()(edge);
    let before = 0;
    while (before < removed.length && removed[before]! < i) before++;
    return i - before;
  }

  private freshId(): string {
    const ids = this.edgeIds();
    if (!ids.has('new')) return 'new';
    let k = 2;
    while (ids.has(`new-${k}`)) k++;
    return `new-${k}`;
  }

  /**
   * Whether slot `start` reaches slot `goal` (acyclic document). Topological positions answer most
   * pairs at once; otherwise the set of one end is walked once and kept, so a drag that keeps one end
   * (from an output, or from an input) pays one walk, not one per port it passes over.
   */
  private reaches(start: number, goal: number): boolean {
    if (start === goal) return true;
    const pos = this.positions();
    if (pos[start]! > pos[goal]!) return false;
    const keepsTarget = this.lastTo === start && this.lastFrom !== goal;
    this.lastTo = start;
    this.lastFrom = goal;
    if (this.ancestors?.slot === goal) return this.ancestors.set[start] === 1;
    if (this.descendants?.slot === start) return this.descendants.set[goal] === 1;
    if (keepsTarget) {
      this.descendants = { slot: start, set: this.walk(start, this.a.outStart, this.a.outs) };
      return this.descendants.set[goal] === 1;
    }
    this.ancestors = { slot: goal, set: this.walk(goal, this.a.depStart, this.a.deps) };
    return this.ancestors.set[start] === 1;
  }

  private positions(): Int32Array {
    if (!this.position) {
      this.position = new Int32Array(this.a.size);
      for (let o = 0; o < this.a.order.length; o++) this.position[this.a.order[o]!] = o;
    }
    return this.position;
  }

  /** Every slot reachable from `start` along one of the compressed adjacency lists. */
  private walk(start: number, rowStart: Int32Array, row: Int32Array): Uint8Array {
    const seen = new Uint8Array(this.a.size);
    const stack = [start];
    seen[start] = 1;
    while (stack.length > 0) {
      const s = stack.pop()!;
      for (let p = rowStart[s]!; p < rowStart[s + 1]!; p++) {
        const next = row[p]!;
        if (seen[next]) continue;
        seen[next] = 1;
        stack.push(next);
      }
    }
    return seen;
  }

  /**
   * Validation's issue for the cycle an edge `from → to` closes: the component is every node on a
   * path from `to` back to `from`, listed as validation lists it (shortest cycle from the smallest id).
   * `reaches` has just kept one end's set, so the walk stays inside it: a drag over many refused
   * ports pays for the nodes between the two ends, not for the graph.
   */
  private cycleThrough(from: number, to: number): Issue {
    const a = this.a;
    let component: number[];
    if (from === to) component = [to];
    else if (this.ancestors?.slot === from)
      component = this.walkWithin(to, a.outStart, a.outs, this.ancestors.set);
    else if (this.descendants?.slot === to)
      component = this.walkWithin(from, a.depStart, a.deps, this.descendants.set);
    else component = this.walkWithin(to, a.outStart, a.outs, this.walk(from, a.depStart, a.deps));
    // the new edge is the document's last, so it comes last among `from`'s dependents
    const dependents = (s: number): number[] => {
      const list = Array.from(a.outs.subarray(a.outStart[s]!, a.outStart[s + 1]!));
      if (s === from && !list.includes(to)) list.push(to);
      return list;
    };
    const cycle = cyclePath(component, dependents, a.ids).map((s) => a.ids[s]!);
    return cycleIssue(cycle, a.index[a.slotOf.get(cycle[0]!)!]!);
  }

  /** The slots reachable from `start` through slots of `within` only, `start` first. */
  private walkWithin(start: number, rowStart: Int32Array, row: Int32Array, within: Uint8Array): number[] {
    const seen = new Set<number>([start]);
    const found = [start];
    for (let head = 0; head < found.length; head++) {
      const s = found[head]!;
      for (let p = rowStart[s]!; p < rowStart[s + 1]!; p++) {
        const next = row[p]!;
        if (!within[next] || seen.has(next)) continue;
        seen.add(next);
        found.push(next);
      }
    }
    return found;
  }
}
