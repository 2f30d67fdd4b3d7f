import { z } from 'zod';
import { describeZodIssue, type GraphDocument, type GraphEdge } from './document';
import { GraphError, NodeRunError } from './errors';
import type {
  NodeError,
  NodeOutcome,
  NodeRunState,
  NodeStatus,
  RunEvent,
  RunHandle,
  RunResult,
  RunState,
  RunStatus,
} from './events';
import { canonicalJson, type HashFn, sha256Hex } from './hash';
import { ISSUE_CODES, type Issue } from './issues';
import { deepFreeze, isDeepFrozen, isJsonValue, type JsonValue } from './json';
import {
  compareCodeUnits,
  compileKeyTemplate,
  KeyHasher,
  type KeyTemplate,
  renderKeyPreimageColumns,
} from './keys';
import type {
  AnyNodeDefinition,
  CachePolicy,
  EffectSpec,
  InputItem,
  NodeContext,
  NodeLogger,
  NodeRegistry,
  ScopedService,
} from './node';
import { containsSecret, createRedactor } from './redact';
import { CancelledError, createAbortController, type HostAbortSignal } from './signal';
import { changedSince, type DocSnapshot, refreshParams, takeSnapshot } from './snapshot';
import { type BlobRef, type CacheEntry, type CacheStore, createMemoryStore, type Journal } from './store';
import type { PortType } from './types';
import { type Analysis, analyseGraph, checkNode, pushParamIssues, typesOfAnalysis } from './validate';

/**
 * Options of `createEngine`. Everything from outside (clock, hashing, storage, providers) is passed in.
 *
 * @example
 * createEngine({ registry, cache: store, journal: store, concurrency: 4, limits: { 'provider:scenario': 2 },
 *   services: { scenario: client }, secrets: [apiKey] });
 */
export interface EngineOptions {
  registry: NodeRegistry;
  /** Where results are cached; an in-memory store by default. */
  cache?: CacheStore;
  /** The side-effect journal; the cache when it is also a Journal, else an in-memory one. */
  journal?: Journal;
  /** SHA-256 as hex; `@noble/hashes` by default. */
  hash?: HashFn;
  /** How many nodes run at once, across the run. Default 8. */
  concurrency?: number;
  /** How many nodes may hold each resource at once, e.g. `{ 'provider:scenario': 2 }`. */
  limits?: Record<string, number>;
  /** Services nodes reach through `ctx.services.get(name)`. */
  services?: Record<string, unknown> | Map<string, unknown>;
  /** Applied to every log line, event message and error message. */
  redact?: (text: string) => string;
  /** Secret strings (4+ characters) that must never leave the engine: redacted in text, refused in outputs. */
  secrets?: readonly string[];
  /** The clock, for event times and cache entries. */
  now?: () => number;
  /** Makes run ids. */
  createRunId?: () => string;
  /**
   * After a cancel, how long the run waits for running nodes to settle (their cleanup may be a
   * provider's cancel call) before it finishes anyway. Default 10 000 ms.
   */
  cancelGraceMs?: number;
}

/**
 * One node in a plan.
 *
 * @example
 * for (const step of engine.plan(doc).steps) console.log(step.nodeId, step.policy, step.key);
 */
export interface PlanStep {
  nodeId: string;
  type: string;
  /** The cache key, or undefined when it depends on the output of a volatile node (known only when that has run). */
  key: string | undefined;
  policy: CachePolicy;
  resources: string[];
  deps: string[];
}

/**
 * The nodes needed for the targets, in topological order, with their keys.
 *
 * @example
 * const plan = engine.plan(doc, { targets: ['preview'] });
 * plan.order; // ['prompt', 'generate', 'preview']
 */
export interface Plan {
  targets: string[];
  order: string[];
  steps: PlanStep[];
  keys: Record<string, string | undefined>;
}

/**
 * Why a node will run or not, in `explain`.
 *
 * @example
 * if (entry.reason.code === 'params.changed') highlight(entry.nodeId, entry.reason.params);
 */
export interface ExplainReason {
  code:
    | 'cache.hit'
    | 'cache.miss'
    | 'params.changed'
    | 'inputs.changed'
    | 'node.version-changed'
    | 'policy.run'
    | 'policy.never'
    | 'upstream.volatile'
    | 'effect.incomplete';
  message: string;
  params?: string[];
  inputs?: string[];
}

/**
 * One node in `explain`.
 *
 * @example
 * const willRun = (await engine.explain(doc)).filter((e: ExplainEntry) => e.willRun);
 */
export interface ExplainEntry {
  nodeId: string;
  willRun: boolean;
  key: string | undefined;
  reason: ExplainReason;
}

/**
 * Options of `engine.run`.
 *
 * @example
 * engine.run(doc, { targets: ['preview'], signal: controller.signal });
 */
export interface RunOptions {
  targets?: string[];
  signal?: HostAbortSignal;
  /** Reuse a run id to resume: `run`-policy results and journal records of that run are found again. */
  runId?: string;
}

/**
 * The engine: validate, plan, explain and run graphs.
 *
 * @example
 * const engine = createEngine({ registry });
 * const result = await engine.run(doc).result;
 */
export interface Engine {
  readonly registry: NodeRegistry;
  readonly cache: CacheStore;
  readonly journal: Journal;
  readonly hash: HashFn;
  validate(doc: unknown): { ok: boolean; issues: Issue[] };
  /**
   * `connectedTypes(doc, registry)` from the analysis the engine keeps for the document, so an
   * estimate after `explain` does not analyse the graph again. Never throws.
   *
   * @example
   * engine.connectedTypes(doc).get('render')?.loras?.[0]; // the first LoRA's type, before it exists
   */
  connectedTypes(doc: unknown): Map<string, Record<string, PortType[]>>;
  plan(doc: GraphDocument, options?: { targets?: string[] }): Plan;
  explain(doc: GraphDocument, options?: { targets?: string[] }): Promise<ExplainEntry[]>;
  run(doc: GraphDocument, options?: RunOptions): RunHandle;
}

/**
 * The links of one plan as columns shared by its steps (step indices, compressed rows): no array
 * or object per node or connection, which is what kept the cold path busy collecting garbage.
 */
interface PlanLinks {
  /** Upstream steps of step i: `deps[depStart[i] .. depStart[i + 1])`. */
  depStart: Int32Array;
  deps: Int32Array;
  /** Downstream steps, likewise. */
  outStart: Int32Array;
  outs: Int32Array;
  /**
   * Connections of step i in key order: `wireStart[i] .. wireStart[i + 1]` into the columns below —
   * input port, upstream step, its port, settings, and the upstream node id (for explain's "which
   * input changed", once the step's plan is gone).
   */
  wireStart: Int32Array;
  wirePort: string[];
  wireFrom: Int32Array;
  wireFromPort: string[];
  wireSettings: unknown[];
  wireFromId: string[];
}

interface Step {
  index: number;
  nodeId: string;
  def: AnyNodeDefinition;
  params: unknown;
  paramsCanonical: string;
  policy: CachePolicy;
  resources: string[];
  /** The plan's links (shared by every step of the plan). */
  links: PlanLinks;
  /** The accounts of the services the node is scoped to (canonical JSON), or null: the salt of its pure key. */
  scope: string | null;
  /** True when some upstream node is volatile, so the key waits for its output. */
  late: boolean;
  template: KeyTemplate | undefined;
  /** The identity table of the last run that ran or reused this step (for explain's "what changed"). */
  seenIdentities: string[] | undefined;
}

/** A step's connections as objects (explain and key templates; not the hot path). */
function wiresOf(
  step: Step,
): Array<{ port: string; from: number; fromPort: string; settings: unknown; fromId: string }> {
  const l = step.links;
  const out = [];
  for (let w = l.wireStart[step.index]!; w < l.wireStart[step.index + 1]!; w++) {
    out.push({
      port: l.wirePort[w]!,
      from: l.wireFrom[w]!,
      fromPort: l.wireFromPort[w]!,
      settings: l.wireSettings[w],
      fromId: l.wireFromId[w]!,
    });
  }
  return out;
}

/** Upstream step indices of a step, as a list. */
function depsOf(step: Step): number[] {
  const l = step.links;
  const begin = l.depStart[step.index]!;
  const out: number[] = new Array(l.depStart[step.index + 1]! - begin);
  for (let k = 0; k < out.length; k++) out[k] = l.deps[begin + k]!;
  return out;
}

/** The node ids of a step's upstream steps, in one array. */
function depIds(step: Step, steps: Step[]): string[] {
  const l = step.links;
  const begin = l.depStart[step.index]!;
  const out: string[] = new Array(l.depStart[step.index + 1]! - begin);
  for (let k = 0; k < out.length; k++) out[k] = steps[l.deps[begin + k]!]!.nodeId;
  return out;
}

interface InternalPlan {
  steps: Step[];
  targets: string[];
  /** Keys of the pure steps, once computed (they depend on the plan alone). */
  keys: Array<string | undefined> | undefined;
  /** Keys of pure steps with pure upstreams that a run computed (they depend on the plan alone). */
  runKeys: Array<string | undefined> | undefined;
}

/**
 * Creates an engine. A graph that does not validate is a programming error for `plan`, `explain`
 * and `run`: they throw a `GraphError` carrying every issue. Node failures are values in the result.
 *
 * @example
 * const engine = createEngine({ registry: createRegistry(mathPack), secrets: [process.env.API_KEY!] });
 * const handle = engine.run(doc);
 * handle.subscribe((e) => console.log(e.type));
 * const { status, nodes } = await handle.result;
 */
export function createEngine(options: EngineOptions): Engine {
  checkOptions(EngineOptionsSchema, options, 'createEngine');
  const registry = options.registry;
  const cache: CacheStore = options.cache ?? createMemoryStore(options.hash ? { hash: options.hash } : {});
  const journal: Journal =
    options.journal ??
    (isJournal(cache) ? cache : createMemoryStore(options.hash ? { hash: options.hash } : {}));
  const hash = options.hash ?? sha256Hex;
  // the memo pays off only for the slow portable hash; an injected one (node:crypto) is as fast as a lookup
  const hasher = new KeyHasher(hash, hash === sha256Hex ? undefined : 0);
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? 8));
  const limits = options.limits ?? {};
  const secrets = (options.secrets ?? []).filter((s) => s.length >= 4);
  const redact = createRedactor({ ...(options.redact ? { redact: options.redact } : {}), secrets });
  const now = options.now ?? Date.now;
  const cancelGraceMs = options.cancelGraceMs ?? 10_000;
  const services =
    options.services instanceof Map ? options.services : new Map(Object.entries(options.services ?? {}));
  let runCounter = 0;
  const createRunId =
    options.createRunId ??
    (() =>
      `run-${now().toString(36)}-${(runCounter++).toString(36)}-${Math.random().toString(36).slice(2, 8)}`);
  // the store's optional capabilities (see CacheStore): synchronous reads and writes of frozen entries
  const peek = typeof cache.getSync === 'function' ? cache.getSync.bind(cache) : undefined;
  const putFrozen = typeof cache.putFrozen === 'function' ? cache.putFrozen.bind(cache) : undefined;
  // What each node looked like when it last ran or was reused, so explain can say what changed.
  const lastSeen = new Map<string, Step>();

  // A frozen document cannot change, so its analysis is kept for the next call (validate, then explain).
  const analyses = new WeakMap<object, { stamp: string; analysis: Analysis }>();
  function analyse(doc: unknown): Analysis {
    // deeply: a shallowly frozen document could still change underneath a remembered analysis
    const frozen = doc !== null && typeof doc === 'object' && isDeepFrozen(doc);
    // packs only ever add to a registry, so the counts tell whether a kept analysis is out of date
    const stamp = `${registry.nodes().length}:${registry.types.kinds().length}`;
    if (!frozen) return analyseMutable(doc, stamp);
    const known = analyses.get(doc as object);
    if (known && known.stamp === stamp) return known.analysis;
    const analysis = incremental(doc as GraphDocument, stamp) || analyseGraph(doc, registry);
    analyses.set(doc as object, { stamp, analysis });
    previous = { doc: doc as GraphDocument, analysis, stamp };
    return analysis;
  }

  // A mutable document can change between two calls (validate, then run), so its analysis is kept
  // with a snapshot of what it was computed from and reused only after a walk over the document finds
  // nothing changed, or only some nodes' params, labels or positions (re-checked incrementally).
  let snapshot: DocSnapshot | undefined;
  function analyseMutable(doc: unknown, stamp: string): Analysis {
    const kept = snapshot;
    if (kept && kept.stamp === stamp) {
      const changed = changedSince(doc, kept);
      if (changed && changed.length === 0) return kept.analysis;
      const patched = changed && patchAnalysis(doc as GraphDocument, kept.analysis, changed);
      if (patched) {
        kept.analysis = patched;
        for (const slot of changed) if (!refreshParams(kept, slot)) snapshot = undefined;
        return patched;
      }
    }
    const analysis = analyseGraph(doc, registry);
    snapshot = takeSnapshot(doc, analysis, stamp);
    return analysis;
  }

  // The editor's keystroke: the same edges array and the same nodes, a few replaced by nodes with the
  // same id and type (params, position or label edited). Only those are re-checked; everything
  // structural (ports, types, order) is carried over. Anything else falls back to a full analysis.
  let previous: { doc: GraphDocument; analysis: Analysis; stamp: string } | undefined;
  function incremental(doc: GraphDocument, stamp: string): Analysis | undefined {
    const prev = previous;
    if (!prev || prev.stamp !== stamp) return undefined;
    const before = prev.doc;
    if (
      doc.edges !== before.edges ||
      doc.format !== before.format ||
      doc.version !== before.version ||
      doc.name !== before.name ||
      doc.meta !== before.meta ||
      !Array.isArray(doc.nodes) ||
      doc.nodes.length !== before.nodes.length
    ) {
      return undefined;
    }
    const changed: number[] = [];
    for (let i = 0; i < doc.nodes.length; i++) {
      const now = doc.nodes[i];
      const was = before.nodes[i]!;
      if (now === was) continue;
      if (now === null || typeof now !== 'object' || now.id !== was.id || now.type !== was.type)
        return undefined;
      changed.push(i);
      if (changed.length > MAX_PATCHED) return undefined;
    }
    return patchAnalysis(doc, prev.analysis, changed);
  }

  /**
   * An analysis of `doc` made from `pa` (an analysis without issues of the same structure) by
   * re-checking the nodes at the `changed` positions, or undefined when that is not safe.
   */
  function patchAnalysis(doc: GraphDocument, pa: Analysis, changed: number[]): Analysis | undefined {
    // past a handful of changes a full pass costs about the same and is simpler to trust
    if (pa.issues.length > 0 || changed.length > MAX_PATCHED) return undefined;
    const nodes = pa.nodes.slice();
    const checks = pa.checks.slice();
    const issues: Issue[] = [];
    for (const i of changed) {
      const raw = doc.nodes[i]!;
      const slot = pa.slotOf.get(raw.id)!;
      const def = pa.defs[slot];
      // types or rules that depend on params could change what other nodes see
      if (!def || def.validate || hasDynamicTypes(def)) return undefined;
      const check = checkNode(raw, registry);
      if (check.shape || check.def !== def) return undefined;
      pushParamIssues(issues, raw, i, check);
      nodes[slot] = raw;
      checks[slot] = check;
    }
    const analysis: Analysis = { ...pa, issues, nodes, checks };
    // one link back, never a chain: `pa` is superseded, so its own link to what came before goes
    derived.delete(pa);
    derived.set(analysis, { from: pa, changed: changed.map((i) => doc.nodes[i]!.id) });
    return analysis;
  }
  const derived = new WeakMap<Analysis, { from: Analysis; changed: string[] }>();

  /** The previous plan with the steps of edited nodes replaced, or undefined when that is not safe. */
  function patchPlan(analysis: Analysis, id: string): InternalPlan | undefined {
    const origin = derived.get(analysis);
    const base = origin && plans.get(origin.from)?.get(id);
    if (!origin || !base) return undefined;
    const steps = base.steps.slice();
    const at = new Map(steps.map((step) => [step.nodeId, step.index]));
    for (const nodeId of origin.changed) {
      const index = at.get(nodeId);
      if (index === undefined) continue;
      const old = steps[index]!;
      const check = analysis.checks[analysis.slotOf.get(nodeId)!]!;
      const def = old.def;
      let policy: CachePolicy;
      let resources: string[];
      try {
        policy = typeof def.cache === 'function' ? def.cache(check.params) : (def.cache ?? 'pure');
        resources =
          typeof def.resources === 'function' ? def.resources(check.params) : (def.resources ?? NO_RESOURCES);
      } catch {
        return undefined;
      }
      // a policy change moves the volatile frontier, which the full build handles
      if (policy !== old.policy) return undefined;
      if (check.paramsCanonical === undefined) check.paramsCanonical = canonicalJson(check.params);
      // a literal with buildPlan's field order (not a spread): every step keeps one hidden class
      steps[index] = {
        index: old.index,
        nodeId: old.nodeId,
        def,
        params: check.params,
        paramsCanonical: check.paramsCanonical,
        policy,
        resources,
        links: old.links,
        scope: scopeOf(def, check.params),
        late: old.late,
        template: undefined,
        seenIdentities: undefined,
      };
    }
    // every plan is made with all its fields, so the code reading plans sees one shape
    const plan: InternalPlan = { steps, targets: base.targets, keys: undefined, runKeys: undefined };
    if (base.keys || base.runKeys) {
      // only the edited steps and what lies downstream of them get new keys
      const dirty = new Uint8Array(steps.length);
      for (const nodeId of origin.changed) {
        const index = at.get(nodeId);
        if (index !== undefined) dirty[index] = 1;
      }
      const { depStart, deps } = steps[0]!.links;
      for (let i = 0; i < steps.length; i++) {
        if (!dirty[i])
          for (let p = depStart[i]!; p < depStart[i + 1]!; p++) if (dirty[deps[p]!]) dirty[i] = 1;
      }
      if (base.keys) {
        const keys = base.keys.slice();
        for (let i = 0; i < steps.length; i++) {
          const step = steps[i]!;
          if (dirty[i] && !step.late && step.policy === 'pure')
            keys[i] = keyOf(step, (j) => keys[j]!, step.scope);
        }
        plan.keys = keys;
      } else if (base.runKeys) {
        // keys a run computed may have gaps (a failed or cancelled run): the dirty ones are left to the next run
        const runKeys = base.runKeys.slice();
        for (let i = 0; i < steps.length; i++) if (dirty[i]) runKeys[i] = undefined;
        plan.runKeys = runKeys;
      }
    }
    return plan;
  }

  // Plans are kept with their analysis (steps are never changed by a run), keyed by their targets: an
  // analysis is reused only for a document that did not change, so its plan is still right.
  const plans = new WeakMap<Analysis, Map<string, InternalPlan>>();
  function prepare(doc: GraphDocument, targets: string[] | undefined, verb: string): InternalPlan {
    const analysis = analyse(doc);
    if (analysis.issues.length > 0) throw new GraphError(analysis.issues, verb);
    let byTargets = plans.get(analysis);
    if (!byTargets) {
      byTargets = new Map();
      plans.set(analysis, byTargets);
    }
    const id = targets ? JSON.stringify(targets) : '';
    let plan = byTargets.get(id);
    if (!plan) {
      plan = patchPlan(analysis, id) ?? buildPlan(analysis, targets, verb);
      byTargets.set(id, plan);
      // the link to the analysis this one was patched from has served: kept, it would chain every
      // earlier analysis and plan of an editing session into memory (~0.4 MB per edit at 10k nodes)
      derived.delete(analysis);
    }
    return plan;
  }

  function buildPlan(analysis: Analysis, requested: string[] | undefined, verb: string): InternalPlan {
    const { slotOf, ids, order, depStart, deps, outStart, wireStart, wireEdge, wireFrom } = analysis;
    let targets = requested;
    // Keep the ancestors of the targets, in topological order. With no targets every node is an
    // ancestor of some sink (the graph is acyclic), so the walk is skipped.
    let needed: Uint8Array | undefined;
    if (targets) {
      const unknown = targets.filter((id) => !slotOf.has(id));
      if (unknown.length > 0) {
        throw new GraphError(
          unknown.map((id, i) => ({
            path: ['targets', i],
            code: ISSUE_CODES.unknownTarget,
            message: `The target "${id}" is not a node of this graph.`,
          })),
          verb,
        );
      }
      needed = new Uint8Array(analysis.size);
      for (const id of targets) needed[slotOf.get(id)!] = 1;
      for (let o = order.length - 1; o >= 0; o--) {
        const s = order[o]!;
        if (!needed[s]) continue;
        for (let p = depStart[s]!; p < depStart[s + 1]!; p++) needed[deps[p]!] = 1;
      }
    } else {
      targets = [];
      for (let o = 0; o < order.length; o++) {
        const s = order[o]!;
        if (outStart[s + 1] === outStart[s]) targets.push(ids[s]!);
      }
    }
    // step index by analysis slot
    const indexOf = new Int32Array(analysis.size);
    const count = needed ? countNeeded(needed, order) : order.length;
    const links: PlanLinks = {
      depStart: new Int32Array(count + 1),
      deps: new Int32Array(deps.length),
      outStart: new Int32Array(count + 1),
      outs: new Int32Array(deps.length),
      wireStart: new Int32Array(count + 1),
      // sized once (trimmed below when targets leave wires out): no growth copies at 20k wires
      wirePort: new Array(wireEdge.length),
      wireFrom: new Int32Array(wireEdge.length),
      wireFromPort: new Array(wireEdge.length),
      wireSettings: new Array(wireEdge.length),
      wireFromId: new Array(wireEdge.length),
    };
    const steps: Step[] = new Array(count);
    let depCount = 0;
    let wireCount = 0;
    let index = 0;
    for (let o = 0; o < order.length; o++) {
      const s = order[o]!;
      if (needed && !needed[s]) continue;
      const id = ids[s]!;
      const def = analysis.defs[s]!;
      const check = analysis.checks[s]!;
      const params = check.params;
      let policy: CachePolicy;
      let resources: string[];
      try {
        policy = typeof def.cache === 'function' ? def.cache(params) : (def.cache ?? 'pure');
        resources =
          typeof def.resources === 'function' ? def.resources(params) : (def.resources ?? NO_RESOURCES);
        if (policy !== 'pure' && policy !== 'run' && policy !== 'never')
          throw new Error(`unknown cache policy "${String(policy)}"`);
      } catch (error) {
        throw new GraphError(
          [
            {
              path: ['nodes', analysis.index[s]!],
              code: 'node.definition',
              message: `The definition of "${def.type}" failed for node "${id}": ${errorMessage(error)}.`,
              nodeId: id,
            },
          ],
          verb,
        );
      }
      // cached on the node's check, which is itself remembered for frozen nodes
      if (check.paramsCanonical === undefined) check.paramsCanonical = canonicalJson(params);
      links.depStart[index] = depCount;
      let late = false;
      for (let p = depStart[s]!; p < depStart[s + 1]!; p++) {
        const d = indexOf[deps[p]!]!;
        links.deps[depCount++] = d;
        links.outStart[d + 1]!++;
        const up = steps[d]!;
        if (up.policy !== 'pure' || up.late) late = true;
      }
      links.wireStart[index] = wireCount;
      for (let w = wireStart[s]!; w < wireStart[s + 1]!; w++) {
        const edge = wireEdge[w]!;
        links.wirePort[wireCount] = edge.to.port;
        links.wireFrom[wireCount] = indexOf[wireFrom[w]!]!;
        links.wireFromPort[wireCount] = edge.from.port;
        links.wireSettings[wireCount] = settingsOf(analysis, edge);
        links.wireFromId[wireCount] = edge.from.node;
        wireCount++;
      }
      indexOf[s] = index;
      steps[index] = {
        index,
        nodeId: id,
        def,
        params,
        paramsCanonical: check.paramsCanonical,
        policy,
        resources,
        links,
        scope: scopeOf(def, params),
        late,
        template: undefined,
        seenIdentities: undefined,
      };
      index++;
    }
    links.depStart[count] = depCount;
    links.wireStart[count] = wireCount;
    if (wireCount < wireEdge.length) {
      links.wirePort.length = wireCount;
      links.wireFromPort.length = wireCount;
      links.wireSettings.length = wireCount;
      links.wireFromId.length = wireCount;
    }
    // downstream rows from the upstream ones (counted above), in step order
    const rows = links.outStart;
    for (let i = 0; i < count; i++) rows[i + 1]! += rows[i]!;
    const fill = rows.slice(0, count);
    for (let i = 0; i < count; i++) {
      for (let p = links.depStart[i]!; p < links.depStart[i + 1]!; p++)
        links.outs[fill[links.deps[p]!]!++] = i;
    }
    return { steps, targets, keys: undefined, runKeys: undefined };
  }

  // Per definition, once per engine: the services (and so their accounts) are fixed at creation.
  const scopes = new Map<string, string>();
  function scopeOf(def: AnyNodeDefinition, params: unknown): string | null {
    if (!def.scope) return null;
    let names: readonly string[];
    try {
      names = typeof def.scope === 'function' ? def.scope(params) : def.scope;
    } catch {
      // a broken scope function must not make a key that could be shared across accounts
      names = ['(scope failed)'];
    }
    if (names.length === 0) return null;
    const sorted = names.length === 1 ? names : [...names].sort(compareCodeUnits);
    // the sorted names as JSON: no separator a service name could contain
    const id = JSON.stringify(sorted);
    let scope = scopes.get(id);
    if (scope === undefined) {
      const parts: Array<[string, string | null]> = [];
      for (const name of sorted) {
        let account: string | null = null;
        try {
          // a host's stand-in for an unconfigured client may throw on any use: the node fails later, clearly
          const service = services.get(name) as Partial<ScopedService> | undefined;
          if (service && typeof service.cacheScope === 'function') account = String(service.cacheScope(hash));
        } catch {
          // unknown account: never the same as a known one, never shared with "no account"
          account = '(unavailable)';
        }
        parts.push([name, account]);
      }
      scope = canonicalJson(parts);
      scopes.set(id, scope);
    }
    return scope;
  }

  function settingsOf(analysis: Analysis, edge: GraphEdge): unknown {
    return analysis.settings.size > 0 && analysis.settings.has(edge)
      ? analysis.settings.get(edge)
      : (edge.settings ?? null);
  }

  /** The key of a step given the identities of its upstream steps. */
  function keyOf(step: Step, identity: (index: number) => string, salt: string | null): string {
    // a pure key is computed once per plan (kept in plan.keys or runKeys): no template to keep
    if (!step.template && salt === null && !step.late) {
      const { type, version } = step.def;
      const l = step.links;
      return hasher.digest(
        renderKeyPreimageColumns(
          type,
          version,
          step.paramsCanonical,
          l,
          l.wireStart[step.index]!,
          l.wireStart[step.index + 1]!,
          identity,
        ),
      );
    }
    if (!step.template) {
      step.template = compileKeyTemplate(
        step.def.type,
        step.def.version,
        step.paramsCanonical,
        wiresOf(step),
      );
    }
    return hasher.digest(step.template.render(identity, salt));
  }

  function staticKeys(plan: InternalPlan): Array<string | undefined> {
    if (plan.keys) return plan.keys;
    const keys: Array<string | undefined> = new Array(plan.steps.length);
    const identity = (i: number) => keys[i]!;
    for (const step of plan.steps) {
      if (step.late || step.policy !== 'pure') keys[step.index] = undefined;
      else keys[step.index] = keyOf(step, identity, step.scope);
    }
    plan.keys = keys;
    return keys;
  }

  async function reusable(
    step: Step,
    key: string,
    runId: string | undefined,
  ): Promise<CacheEntry | undefined> {
    if (step.policy === 'never') return undefined;
    let entry: CacheEntry | undefined;
    try {
      entry = peek ? peek(key) : await cache.get(key);
    } catch {
      return undefined;
    }
    if (!entry) return undefined;
    if (step.policy === 'run' && entry.runId !== runId) return undefined;
    if (step.def.sideEffects && !(await effectsDone(key, entry))) return undefined;
    return entry;
  }

  async function effectsDone(key: string, entry: CacheEntry): Promise<boolean> {
    for (const name of entry.effects ?? []) {
      const record = await journal.getRecord(`${key}/${name}`);
      if (record?.state !== 'done') return false;
    }
    return true;
  }

  // The steps of a plan whose every node `lastSeen` already maps to that plan's step (its last run
  // remembered them all, and nothing else was remembered since): running it again skips the map.
  let lastSeenOwner: Step[] | undefined;
  let lastSeenWrites = 0;
  function remember(step: Step, identities: string[], planSteps: Step[]): void {
    // references only (the step and the run's identity table): nothing is allocated per node
    step.seenIdentities = identities;
    if (lastSeenOwner === planSteps) return;
    lastSeenOwner = undefined;
    lastSeenWrites++;
    lastSeen.set(step.nodeId, step);
  }

  const engine: Engine = {
    registry,
    cache,
    journal,
    hash,
    validate: (doc) => {
      const { issues } = analyse(doc);
      // a copy: the analysis of a document is kept, and a caller may sort or trim what it gets
      return { ok: issues.length === 0, issues: [...issues] };
    },

    connectedTypes: (doc) => {
      const analysis = analyse(doc);
      // an incrementally patched analysis with issues keeps the output types from before the edit
      // (plan and run refuse it anyway): a document with issues is analysed in full here
      return typesOfAnalysis(analysis.issues.length > 0 ? analyseGraph(doc, registry) : analysis);
    },

    plan(doc, o = {}) {
      const plan = prepare(doc, o.targets, 'plan');
      const keys = staticKeys(plan);
      const out: Plan = { targets: plan.targets, order: [], steps: [], keys: {} };
      for (const step of plan.steps) {
        const key = keys[step.index];
        out.order.push(step.nodeId);
        out.keys[step.nodeId] = key;
        out.steps.push({
          nodeId: step.nodeId,
          type: step.def.type,
          key,
          policy: step.policy,
          resources: step.resources,
          deps: depIds(step, plan.steps),
        });
      }
      return out;
    },

    async explain(doc, o = {}) {
      const plan = prepare(doc, o.targets, 'explain');
      const keys = staticKeys(plan);
      const entries: ExplainEntry[] = [];
      for (const step of plan.steps) {
        const key = keys[step.index];
        // with a synchronous store and no side effects there is nothing to wait for (the editor's per-keystroke path)
        const quick = peek && !step.def.sideEffects ? explainSync(step, key, keys, plan.steps) : undefined;
        const reason = quick ?? (await explainStep(step, key, keys, plan.steps));
        entries.push({ nodeId: step.nodeId, willRun: reason.code !== 'cache.hit', key, reason });
      }
      return entries;
    },

    run(doc, o = {}) {
      checkOptions(RunOptionsSchema, o, 'engine.run');
      const plan = prepare(doc, o.targets, 'run');
      return execute(plan, o);
    },
  };

  async function explainStep(
    step: Step,
    key: string | undefined,
    keys: Array<string | undefined>,
    steps: Step[],
  ): Promise<ExplainReason> {
    const early = volatileReason(step, key, steps);
    if (early) return early;
    let entry: CacheEntry | undefined;
    try {
      entry = peek ? peek(key!) : await cache.get(key!);
    } catch {
      entry = undefined;
    }
    if (entry) {
      if (step.def.sideEffects && !(await effectsDone(key!, entry))) {
        return {
          code: 'effect.incomplete',
          message: `"${step.nodeId}" has a cached result but its recorded side effect did not complete, so it runs again.`,
        };
      }
      return { code: 'cache.hit', message: `"${step.nodeId}" comes from the cache.` };
    }
    return missReason(step, keys, steps);
  }

  /** explain for one node when its cache entry can be read synchronously and it has no effects. */
  function explainSync(
    step: Step,
    key: string | undefined,
    keys: Array<string | undefined>,
    steps: Step[],
  ): ExplainReason {
    const early = volatileReason(step, key, steps);
    if (early) return early;
    let entry: CacheEntry | undefined;
    try {
      entry = peek!(key!);
    } catch {
      entry = undefined;
    }
    if (entry) return { code: 'cache.hit', message: `"${step.nodeId}" comes from the cache.` };
    return missReason(step, keys, steps);
  }

  function volatileReason(step: Step, key: string | undefined, steps: Step[]): ExplainReason | undefined {
    if (step.policy === 'never') {
      return { code: 'policy.never', message: `"${step.nodeId}" is never cached, so it always runs.` };
    }
    if (step.policy === 'run') {
      return {
        code: 'policy.run',
        message: `"${step.nodeId}" gives a result that is not a function of its inputs, so it runs once per run.`,
      };
    }
    if (key === undefined) {
      const volatile = depsOf(step)
        .map((d) => steps[d]!)
        .filter((d) => d.policy !== 'pure' || d.late);
      return {
        code: 'upstream.volatile',
        message: `"${step.nodeId}" depends on ${volatile.map((d) => `"${d.nodeId}"`).join(', ')}, whose output is known only after it runs.`,
        inputs: volatile.map((d) => d.nodeId),
      };
    }
    return undefined;
  }

  /** Why a node without a usable cache entry runs: what changed since this engine last saw it. */
  function missReason(step: Step, keys: Array<string | undefined>, steps: Step[]): ExplainReason {
    const last = lastSeen.get(step.nodeId);
    if (!last) return { code: 'cache.miss', message: `"${step.nodeId}" has no cached result yet.` };
    const lastIdentities = last.seenIdentities!;
    if (last === step) {
      // the same step (a kept or patched plan): only upstream identities can differ, wire by wire
      const list: string[] = [];
      for (const w of wiresOf(step)) {
        const from = steps[w.from]!.nodeId;
        if (lastIdentities[w.from] !== keys[w.from] && !list.includes(from)) list.push(from);
      }
      if (list.length > 0) return inputsChanged(step.nodeId, list);
      return {
        code: 'cache.miss',
        message: `"${step.nodeId}" has no cached result for its current key (the entry is gone).`,
      };
    }
    const was = last.def;
    if (was.type !== step.def.type || was.version !== step.def.version) {
      return {
        code: 'node.version-changed',
        message: `"${step.nodeId}" is now ${step.def.type} version ${step.def.version} (was ${was.type} version ${was.version}).`,
      };
    }
    const changed = changedParams(last.params, step.params);
    if (changed.length > 0) {
      return {
        code: 'params.changed',
        message: `"${step.nodeId}" runs because ${changed.length === 1 ? 'the parameter' : 'the parameters'} ${changed.map((p) => `"${p}"`).join(', ')} changed.`,
        params: changed,
      };
    }
    const now = wiresOf(step).map((w) => ({ from: steps[w.from]!.nodeId, identity: keys[w.from]! }));
    const upstream = new Set<string>();
    const lastWires = wiresOf(last);
    const lastFrom = lastWires.map((w) => w.fromId);
    const before = new Map(lastWires.map((w) => [w.fromId, lastIdentities[w.from]]));
    for (const input of now) if (before.get(input.from) !== input.identity) upstream.add(input.from);
    if (upstream.size > 0 || now.length !== lastFrom.length) {
      for (const old of lastFrom) if (!now.some((n) => n.from === old)) upstream.add(old);
      return inputsChanged(step.nodeId, [...upstream]);
    }
    return {
      code: 'cache.miss',
      message: `"${step.nodeId}" has no cached result for its current key (the entry is gone or the settings changed).`,
    };
  }

  function execute(plan: InternalPlan, o: RunOptions): RunHandle {
    const steps = plan.steps;
    const writesAtStart = lastSeenWrites;
    // a plan with no steps has no links object; empty rows stand in
    const { outStart, outs, depStart: depStartOf } = steps[0]?.links ?? NO_LINKS;
    const planKeys = plan.keys;
    // a kept plan (an unchanged document) is run again as is: pure keys computed here serve the next run
    if (!planKeys && !plan.runKeys) plan.runKeys = new Array(steps.length);
    const runKeys = planKeys ? undefined : plan.runKeys;
    const n = steps.length;
    const runId = o.runId ?? createRunId();
    const controller = createAbortController();
    const listeners = new Set<(e: RunEvent) => void>();
    const status: NodeStatus[] = new Array(n).fill('pending');
    const keys: Array<string | undefined> = new Array(n);
    const identities: string[] = new Array(n);
    const outputs: Array<Readonly<Record<string, unknown>> | undefined> = new Array(n);
    const errors: Array<NodeError | undefined> = new Array(n);
    const because: Array<string | undefined> = new Array(n);
    const progress: Array<NodeRunState['progress']> = new Array(n);
    const waiting = new Int32Array(n);
    const queue: number[] = [];
    let queueHead = 0;
    const blocked: number[] = [];
    const held = new Map<string, number>();
    let running = 0;
    let graceTimer: unknown;
    let settled = 0;
    let seq = 0;
    let runStatus: RunStatus = 'running';
    let finishedAt: number | undefined;
    const startedAt = now();
    let snapshot: RunState | undefined;
    let resolveResult!: (r: RunResult) => void;
    const result = new Promise<RunResult>((resolve) => {
      resolveResult = resolve;
    });

    function emit(event: DistributiveOmit<RunEvent, 'seq' | 'runId' | 'at'>): void {
      snapshot = undefined;
      seq++;
      if (listeners.size === 0) return;
      const full = { ...event, seq, runId, at: now() } as RunEvent;
      for (const listener of listeners) {
        try {
          listener(full);
        } catch {
          // a throwing subscriber must not break the run or the other subscribers
        }
      }
    }

    const identity = (i: number) => identities[i]!;

    function enqueue(i: number): void {
      status[i] = 'queued';
      const step = steps[i]!;
      // a pure key is salted only by the accounts it is scoped to; the others by the run
      const salt = step.policy === 'pure' ? step.scope : runId;
      let key: string;
      try {
        // a kept plan already knows the keys of its pure steps
        key = planKeys?.[i] ?? runKeys?.[i] ?? keyOf(step, identity, salt);
      } catch (error) {
        fail(i, {
          code: 'node.key',
          message: redact(`The cache key of "${step.nodeId}" could not be computed: ${errorMessage(error)}`),
        });
        return;
      }
      keys[i] = key;
      if (runKeys && step.policy === 'pure' && !step.late) runKeys[i] = key;
      emit({ type: 'node.queued', nodeId: step.nodeId, key });
      queue.push(i);
    }

    // index loops over resource lists: most are the one shared frozen empty list, and for-of over a
    // frozen array leaves V8's fast iteration path (a frozen warm re-run of 10k was ~1 ms slower)
    function canTake(step: Step): boolean {
      const resources = step.resources;
      for (let k = 0; k < resources.length; k++) {
        const r = resources[k]!;
        const limit = limits[r];
        if (limit !== undefined && (held.get(r) ?? 0) >= limit) return false;
      }
      return true;
    }

    function pump(): void {
      while (running < concurrency && runStatus === 'running') {
        let next = -1;
        if (blocked.length > 0) {
          for (let b = 0; b < blocked.length; b++) {
            if (canTake(steps[blocked[b]!]!)) {
              next = blocked[b]!;
              blocked.splice(b, 1);
              break;
            }
          }
        }
        while (next < 0 && queueHead < queue.length) {
          const candidate = queue[queueHead++]!;
          if (steps[candidate]!.resources.length === 0 || canTake(steps[candidate]!)) next = candidate;
          else blocked.push(candidate);
        }
        if (next < 0) break;
        start(next);
      }
      if (queueHead > 1024 && queueHead * 2 > queue.length) {
        queue.splice(0, queueHead);
        queueHead = 0;
      }
    }

    function start(i: number): void {
      const step = steps[i]!;
      const key = keys[i]!;
      running++;
      const resources = step.resources;
      for (let k = 0; k < resources.length; k++) held.set(resources[k]!, (held.get(resources[k]!) ?? 0) + 1);
      status[i] = 'running';
      // The memory store answers synchronously: a hit settles inside the pump loop, with no
      // promise per node and no recursion, which is what keeps warm re-runs cheap.
      if (peek && step.policy !== 'never' && !step.def.sideEffects) {
        let entry: CacheEntry | undefined;
        try {
          entry = peek(key);
        } catch {
          entry = undefined;
        }
        if (entry && (step.policy === 'pure' || entry.runId === runId)) {
          hit(i, entry);
          unhold(i);
        } else runNode(i);
        return;
      }
      reusable(step, key, runId).then(
        (entry) => {
          if (status[i] !== 'running') {
            release(i);
            return;
          }
          if (!entry) {
            runNode(i);
            return;
          }
          hit(i, entry);
          release(i);
        },
        (error) => {
          fail(i, { code: 'cache.read-failed', message: redact(errorMessage(error)) });
          release(i);
        },
      );
    }

    function unhold(i: number): void {
      running--;
      const resources = steps[i]!.resources;
      for (let k = 0; k < resources.length; k++) held.set(resources[k]!, held.get(resources[k]!)! - 1);
    }

    function release(i: number): void {
      unhold(i);
      pump();
      maybeFinish();
    }

    function hit(i: number, entry: CacheEntry): void {
      const step = steps[i]!;
      const key = keys[i]!;
      outputs[i] = entry.outputs;
      identities[i] = step.policy === 'pure' ? key : outputIdentity(entry.outputs, step.scope);
      remember(step, identities, steps);
      settle(i, 'cached');
      if (listeners.size > 0) emit({ type: 'node.cached', nodeId: step.nodeId, key, outputs: entry.outputs });
      ready(i);
    }

    function runNode(i: number): void {
      const step = steps[i]!;
      const key = keys[i]!;
      if (listeners.size > 0) emit({ type: 'node.started', nodeId: step.nodeId, key });
      else snapshot = undefined;
      const began = now();
      const ctx = new Context(i, key);
      let pending: Promise<unknown>;
      try {
        pending = Promise.resolve(step.def.run(ctx as unknown as NodeContext));
      } catch (error) {
        pending = Promise.reject(error);
      }
      pending.then(
        (produced) => afterRun(i, produced, ctx.effectNames(), began),
        (error) => {
          if (status[i] === 'running' && !controller.signal.aborted) fail(i, toNodeError(error));
          release(i);
        },
      );
    }

    function afterRun(i: number, produced: unknown, effects: string[] | undefined, began: number): void {
      if (status[i] !== 'running') {
        release(i);
        return;
      }
      const step = steps[i]!;
      const key = keys[i]!;
      let frozen: Record<string, unknown>;
      try {
        frozen = deepFreeze(checkOutputs(step, produced));
      } catch (error) {
        fail(i, toNodeError(error));
        release(i);
        return;
      }
      outputs[i] = frozen;
      identities[i] = step.policy === 'pure' ? key : outputIdentity(frozen, step.scope);
      if (step.policy === 'never') {
        succeed(i, began);
        return;
      }
      const l = step.links;
      const w0 = l.wireStart[i]!;
      const inputKeys: string[] = new Array(l.wireStart[i + 1]! - w0);
      for (let k = 0; k < inputKeys.length; k++) inputKeys[k] = identities[l.wireFrom[w0 + k]!]!;
      const entry: CacheEntry = {
        key,
        nodeType: step.def.type,
        typeVersion: step.def.version,
        outputs: frozen as Record<string, JsonValue>,
        createdAt: now(),
        runId,
        // outputs and params are deeply frozen already: only the new containers need freezing
        provenance: Object.freeze({
          nodeId: step.nodeId,
          params: step.params as JsonValue,
          inputKeys: Object.freeze(inputKeys) as string[],
        }) as NonNullable<CacheEntry['provenance']>,
      };
      if (effects !== undefined && effects.length > 0)
        entry.effects = Object.freeze(effects.slice()) as string[];
      Object.freeze(entry);
      if (putFrozen) {
        // the memory store takes it synchronously: no promise per node on the cold path
        try {
          putFrozen(key, entry);
        } catch (error) {
          log(
            step.nodeId,
            'warn',
            `The result of "${step.nodeId}" could not be cached: ${errorMessage(error)}`,
          );
        }
        succeed(i, began);
        return;
      }
      let put: Promise<void>;
      try {
        put = cache.put(key, entry);
      } catch (error) {
        put = Promise.reject(error);
      }
      // success is reported once the result is stored, so "succeeded" always means "cached"
      put.then(
        () => succeed(i, began),
        (error) => {
          log(
            step.nodeId,
            'warn',
            `The result of "${step.nodeId}" could not be cached: ${errorMessage(error)}`,
          );
          succeed(i, began);
        },
      );
    }

    function succeed(i: number, began: number): void {
      if (status[i] !== 'running') {
        release(i);
        return;
      }
      const step = steps[i]!;
      remember(step, identities, steps);
      settle(i, 'succeeded');
      if (listeners.size > 0) {
        emit({
          type: 'node.succeeded',
          nodeId: step.nodeId,
          key: keys[i]!,
          ms: now() - began,
          outputs: outputs[i]!,
        });
      }
      ready(i);
      release(i);
    }

    function checkOutputs(step: Step, produced: unknown): Record<string, unknown> {
      if (produced === null || typeof produced !== 'object') {
        throw new NodeRunError('node.output-invalid', `"${step.nodeId}" returned no outputs object.`);
      }
      const out: Record<string, unknown> = {};
      for (const port of Object.keys(step.def.outputs)) {
        if (!Object.hasOwn(produced, port)) {
          throw new NodeRunError(
            'node.output-missing',
            `"${step.nodeId}" did not return its output "${port}".`,
          );
        }
        const value = (produced as Record<string, unknown>)[port];
        if (!isJsonValue(value)) {
          throw new NodeRunError(
            'node.output-invalid',
            `"${step.nodeId}" returned a value for "${port}" that is not plain JSON (store bytes with ctx.blobs.put).`,
          );
        }
        out[port] = value;
      }
      if (secrets.length > 0 && containsSecret(canonicalJson(out), secrets)) {
        throw new NodeRunError(
          'node.output-secret',
          `"${step.nodeId}" returned a secret in its outputs; it was not kept.`,
        );
      }
      return out;
    }

    function outputIdentity(value: unknown, scope: string | null): string {
      // a scoped node's output names things in its account: the account is part of what it means
      return hasher.digest(
        scope === null
          ? `["loraflow.output/1",${canonicalJson(value)}]`
          : `["loraflow.output/1",${canonicalJson(value)},${JSON.stringify(scope)}]`,
      );
    }

    // One class per run: its methods live on the prototype, so a node's context costs one object.
    // `declare` fields and prototype getters: class fields with initialisers are defined one by one
    // on every instance, which showed up as the top cost of a node's context in profiles.
    class Context {
      declare readonly nodeId: string;
      declare readonly key: string;
      declare readonly params: unknown;
      declare readonly inputs: Record<string, unknown>;
      declare private readonly i: number;
      // created by the first effect: most nodes have none
      declare private effects: string[] | undefined;

      constructor(i: number, key: string) {
        const step = steps[i]!;
        this.i = i;
        this.key = key;
        this.effects = undefined;
        this.nodeId = step.nodeId;
        this.params = step.params;
        this.inputs = gatherInputs(step);
      }

      get runId(): string {
        return runId;
      }

      get signal() {
        return controller.signal;
      }

      get blobs() {
        return blobs;
      }

      get log(): NodeLogger {
        return new Logger(this.nodeId);
      }

      get services(): { get<T>(name: string): T; has(name: string): boolean } {
        return new Services(this.nodeId);
      }

      /** The effect names used so far (internal; not part of NodeContext). */
      effectNames(): string[] | undefined {
        return this.effects;
      }

      progress(fraction: number, message?: string, detail?: Record<string, number>): void {
        if (status[this.i] !== 'running') return;
        const f = Number.isFinite(fraction) ? Math.min(1, Math.max(0, fraction)) : 0;
        const p: NonNullable<NodeRunState['progress']> = { fraction: f };
        if (message !== undefined) p.message = redact(message);
        if (detail !== undefined) p.detail = { ...detail };
        progress[this.i] = p;
        emit({ type: 'node.progress', nodeId: this.nodeId, ...p });
      }

      effect<T extends JsonValue>(name: string, spec: EffectSpec<T>): Promise<T> {
        if (this.effects === undefined) this.effects = [];
        return effect(this.i, this.key, this.effects, name, spec);
      }
    }

    class Logger implements NodeLogger {
      declare private readonly nodeId: string;
      constructor(nodeId: string) {
        this.nodeId = nodeId;
      }
      debug(m: string, d?: Record<string, unknown>) {
        log(this.nodeId, 'debug', m, d);
      }
      info(m: string, d?: Record<string, unknown>) {
        log(this.nodeId, 'info', m, d);
      }
      warn(m: string, d?: Record<string, unknown>) {
        log(this.nodeId, 'warn', m, d);
      }
      error(m: string, d?: Record<string, unknown>) {
        log(this.nodeId, 'error', m, d);
      }
    }

    class Services {
      declare private readonly nodeId: string;
      constructor(nodeId: string) {
        this.nodeId = nodeId;
      }
      has(name: string): boolean {
        return services.has(name);
      }
      get<T>(name: string): T {
        if (!services.has(name)) {
          throw new NodeRunError(
            'service.missing',
            `"${this.nodeId}" needs the service "${name}", which this engine was not given (createEngine({ services })).`,
          );
        }
        return services.get(name) as T;
      }
    }

    const blobs = {
      put: (bytes: Uint8Array, mime: string) => cache.putBlob(bytes, mime),
      get: (ref: BlobRef) => cache.getBlob(ref.$blob),
    };

    function gatherInputs(step: Step): Record<string, unknown> {
      const inputs: Record<string, unknown> = {};
      const specs = step.def.inputs;
      if (specs) for (const port in specs) if (specs[port]!.multiple) inputs[port] = [];
      const l = step.links;
      for (let w = l.wireStart[step.index]!; w < l.wireStart[step.index + 1]!; w++) {
        const value = outputs[l.wireFrom[w]!]![l.wireFromPort[w]!];
        const port = l.wirePort[w]!;
        const list = inputs[port];
        if (Array.isArray(list)) {
          list.push({
            value,
            settings: (l.wireSettings[w] ?? EMPTY) as Record<string, unknown>,
          } satisfies InputItem);
        } else inputs[port] = value;
      }
      for (const port in inputs) {
        const value = inputs[port];
        if (Array.isArray(value)) Object.freeze(value);
      }
      return inputs;
    }

    async function effect<T extends JsonValue>(
      i: number,
      key: string,
      effects: string[],
      name: string,
      spec: {
        intent: JsonValue;
        perform(): Promise<T>;
        reconcile?(intent: JsonValue): Promise<T | undefined>;
      },
    ): Promise<T> {
      const nodeId = steps[i]!.nodeId;
      if (effects.includes(name)) {
        throw new NodeRunError(
          'effect.duplicate',
          `"${nodeId}" used the effect name "${name}" twice in one run; names must be unique per node.`,
        );
      }
      effects.push(name);
      if (secrets.length > 0 && containsSecret(canonicalJson(spec.intent), secrets)) {
        throw new NodeRunError(
          'effect.secret',
          `The intent of effect "${name}" of "${nodeId}" contains a secret; it was not recorded.`,
        );
      }
      const recordKey = `${key}/${name}`;
      const existing = await journal.getRecord(recordKey);
      if (existing?.state === 'done') return existing.result as T;
      if (existing?.state === 'intent' && spec.reconcile) {
        const found = await spec.reconcile(existing.intent);
        if (found !== undefined) {
          await journal.putRecord({ ...existing, state: 'done', result: found, at: now(), runId });
          return found;
        }
      }
      // A cancelled run must not start remote work the person just asked to stop (a training, a paid generation).
      if (controller.signal.aborted) throw controller.signal.reason;
      await journal.putRecord({ key: recordKey, state: 'intent', intent: spec.intent, at: now(), runId });
      const done = await spec.perform();
      if (!isJsonValue(done)) {
        throw new NodeRunError(
          'effect.result-invalid',
          `The effect "${name}" of "${nodeId}" returned a value that is not plain JSON.`,
        );
      }
      if (secrets.length > 0 && containsSecret(canonicalJson(done), secrets)) {
        throw new NodeRunError(
          'effect.secret',
          `The result of effect "${name}" of "${nodeId}" contains a secret; it was not recorded.`,
        );
      }
      await journal.putRecord({
        key: recordKey,
        state: 'done',
        intent: spec.intent,
        result: done,
        at: now(),
        runId,
      });
      return done;
    }

    function log(
      nodeId: string,
      level: 'debug' | 'info' | 'warn' | 'error',
      message: string,
      data?: Record<string, unknown>,
    ): void {
      let text = String(message);
      if (data !== undefined) {
        try {
          text += ` ${JSON.stringify(data)}`;
        } catch {
          text += ' [unprintable data]';
        }
      }
      emit({ type: 'node.log', nodeId, level, message: redact(text) });
    }

    function settle(i: number, s: NodeStatus): void {
      status[i] = s;
      settled++;
      // events are skipped when nobody listens, so the snapshot is invalidated here as well
      snapshot = undefined;
    }

    function ready(i: number): void {
      for (let p = outStart[i]!; p < outStart[i + 1]!; p++) {
        const d = outs[p]!;
        if (--waiting[d]! === 0 && status[d] === 'pending') enqueue(d);
      }
    }

    function fail(i: number, error: NodeError): void {
      const step = steps[i]!;
      errors[i] = error;
      settle(i, 'failed');
      emit({ type: 'node.failed', nodeId: step.nodeId, error });
      // everything downstream is skipped; other branches go on
      const stack = Array.from(outs.subarray(outStart[i]!, outStart[i + 1]!));
      while (stack.length > 0) {
        const d = stack.pop()!;
        if (status[d] !== 'pending') continue;
        because[d] = `Upstream node "${step.nodeId}" failed.`;
        settle(d, 'skipped');
        emit({ type: 'node.skipped', nodeId: steps[d]!.nodeId, because: because[d]! });
        for (let p = outStart[d]!; p < outStart[d + 1]!; p++) stack.push(outs[p]!);
      }
    }

    function toNodeError(error: unknown): NodeError {
      const code =
        error !== null && typeof error === 'object' && typeof (error as { code?: unknown }).code === 'string'
          ? (error as { code: string }).code
          : 'node.failed';
      return { code, message: redact(errorMessage(error)) };
    }

    function maybeFinish(): void {
      if (finishedAt !== undefined) return;
      if (runStatus === 'running' && settled < n) return;
      // a cancelled run finishes when its running nodes have settled, or when the grace runs out
      if (runStatus === 'cancelled' && running > 0) return;
      if (graceTimer !== undefined) timers.clearTimeout(graceTimer);
      finish(runStatus === 'cancelled' ? 'cancelled' : status.includes('failed') ? 'failed' : 'succeeded');
    }

    function finish(final: Exclude<RunStatus, 'running'>): void {
      runStatus = final;
      finishedAt = now();
      const counts = countStatuses(status);
      // every node remembered by this run and no other write in between: the next run of this plan skips the map
      if (
        lastSeenOwner !== steps &&
        counts.succeeded + counts.cached === n &&
        lastSeenWrites - writesAtStart === n
      )
        lastSeenOwner = steps;
      emit({ type: 'run.finished', status: final, counts });
      const nodes: Record<string, NodeOutcome> = {};
      for (let i = 0; i < n; i++) {
        const s = status[i] as NodeOutcome['status'];
        const out = outputs[i];
        // one literal per case: objects of one shape, not a shape change per added field
        const outcome: NodeOutcome =
          out && (s === 'succeeded' || s === 'cached')
            ? { status: s, key: keys[i] ?? '', outputs: out }
            : { status: s, key: keys[i] ?? '' };
        if (errors[i]) outcome.error = errors[i]!;
        if (because[i]) outcome.because = because[i]!;
        nodes[steps[i]!.nodeId] = outcome;
      }
      listenersDone();
      resolveResult({ runId, status: final, nodes, startedAt, finishedAt });
    }

    function listenersDone(): void {
      // subscribers are released once the run has told them it finished
      listeners.clear();
    }

    function cancel(): void {
      if (finishedAt !== undefined || runStatus !== 'running') return;
      runStatus = 'cancelled';
      controller.abort(new CancelledError());
      for (let i = 0; i < n; i++) {
        const s = status[i];
        if (s === 'pending' || s === 'queued' || s === 'running') {
          settle(i, 'cancelled');
          errors[i] = { code: 'run.cancelled', message: 'The run was cancelled.' };
          emit({ type: 'node.cancelled', nodeId: steps[i]!.nodeId });
        }
      }
      // Running nodes got the signal; their cleanup (asking a provider to stop a training) gets a
      // bounded time, so a host that exits on the result does not cut it off, nor wait forever on
      // code that ignores the signal.
      if (running === 0) {
        finish('cancelled');
        return;
      }
      graceTimer = timers.setTimeout(() => {
        if (finishedAt === undefined) finish('cancelled');
      }, cancelGraceMs);
    }

    const handle: RunHandle = {
      runId,
      result,
      cancel,
      subscribe(listener) {
        if (finishedAt !== undefined) return () => {};
        listeners.add(listener);
        return () => {
          listeners.delete(listener);
        };
      },
      getSnapshot() {
        if (snapshot) return snapshot;
        const nodes: Record<string, NodeRunState> = {};
        for (let i = 0; i < n; i++) {
          const s: NodeRunState = { status: status[i]!, key: keys[i] ?? '' };
          if (outputs[i] && (s.status === 'succeeded' || s.status === 'cached')) s.outputs = outputs[i]!;
          if (progress[i]) s.progress = progress[i]!;
          if (errors[i]) s.error = errors[i]!;
          if (because[i]) s.because = because[i]!;
          nodes[steps[i]!.nodeId] = s;
        }
        const state: RunState = { runId, status: runStatus, startedAt, nodes };
        if (finishedAt !== undefined) state.finishedAt = finishedAt;
        snapshot = deepFreeze(state);
        return snapshot;
      },
    };

    // Start on a microtask so a caller can subscribe before the first event.
    Promise.resolve().then(() => {
      if (runStatus !== 'running') return;
      const signal = o.signal;
      if (signal) {
        if (signal.aborted) {
          cancel();
          return;
        }
        signal.addEventListener('abort', cancel, { once: true });
        result.then(() => signal.removeEventListener('abort', cancel));
      }
      emit({ type: 'run.started', nodeIds: steps.map((s) => s.nodeId) });
      for (let i = 0; i < n; i++) waiting[i] = depStartOf[i + 1]! - depStartOf[i]!;
      for (let i = 0; i < n; i++) if (waiting[i] === 0 && status[i] === 'pending') enqueue(i);
      pump();
      maybeFinish();
    });
    return handle;
  }

  return engine;
}

const EMPTY: Readonly<Record<string, unknown>> = Object.freeze({});

// shared by every step of a definition that names no resource, as a definition's own list is
const NO_RESOURCES = Object.freeze([]) as unknown as string[];

// nodes re-checked on their own before a full analysis is the simpler, equally fast choice
const MAX_PATCHED = 8;

const NO_LINKS: Pick<PlanLinks, 'outStart' | 'outs' | 'depStart'> = {
  outStart: new Int32Array(1),
  outs: new Int32Array(0),
  depStart: new Int32Array(1),
};

/** How many slots the target walk marked. */
function countNeeded(needed: Uint8Array, order: Int32Array): number {
  let count = 0;
  for (let o = 0; o < order.length; o++) if (needed[order[o]!]) count++;
  return count;
}

// Every JavaScript host has timers, though ES2022 does not declare them; the core's lib is ES2022 only.
const timers = globalThis as unknown as {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(id: unknown): void;
};

const fn = z.custom<(...args: never[]) => unknown>((v) => typeof v === 'function', 'expected a function');
const EngineOptionsSchema = z.object({
  registry: z.custom<NodeRegistry>(
    (v) => v !== null && typeof v === 'object' && typeof (v as NodeRegistry).get === 'function',
    'expected a registry from createRegistry()',
  ),
  concurrency: z.number().int().min(1).optional(),
  limits: z.record(z.string(), z.number().int().min(1)).optional(),
  secrets: z.array(z.string()).optional(),
  hash: fn.optional(),
  redact: fn.optional(),
  now: fn.optional(),
  createRunId: fn.optional(),
  cancelGraceMs: z.number().int().min(0).optional(),
});
const RunOptionsSchema = z.object({
  targets: z.array(z.string()).optional(),
  runId: z.string().min(1).optional(),
  signal: z
    .custom((v) => v !== null && typeof v === 'object' && 'aborted' in v, 'expected an AbortSignal')
    .optional(),
});

// Misuse throws one sentence naming the option, the way GraphError names the graph's problems.
function checkOptions(schema: z.ZodType, value: unknown, where: string): void {
  const r = schema.safeParse(value);
  if (r.success) return;
  const first = r.error.issues[0]!;
  throw new TypeError(`${where}: ${describeZodIssue(first.path, first.message)}`);
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

function inputsChanged(nodeId: string, list: string[]): ExplainReason {
  return {
    code: 'inputs.changed',
    message:
      list.length > 0
        ? `"${nodeId}" runs because its input from ${list.map((n) => `"${n}"`).join(', ')} changed.`
        : `"${nodeId}" runs because its connections changed.`,
    inputs: list,
  };
}

function hasDynamicTypes(def: AnyNodeDefinition): boolean {
  for (const port in def.inputs ?? {}) if (typeof def.inputs![port]!.type === 'function') return true;
  for (const port in def.outputs) if (typeof def.outputs[port]!.type === 'function') return true;
  return false;
}

function countStatuses(status: NodeStatus[]): Record<NodeStatus, number> {
  const counts: Record<NodeStatus, number> = {
    pending: 0,
    queued: 0,
    running: 0,
    cached: 0,
    succeeded: 0,
    failed: 0,
    skipped: 0,
    cancelled: 0,
  };
  for (const s of status) counts[s]++;
  return counts;
}

function changedParams(before: unknown, after: unknown): string[] {
  const a = (before ?? {}) as Record<string, unknown>;
  const b = (after ?? {}) as Record<string, unknown>;
  const names = new Set([...Object.keys(a), ...Object.keys(b)]);
  const changed: string[] = [];
  for (const name of names) {
    if (safeCanonical(a[name]) !== safeCanonical(b[name])) changed.push(name);
  }
  return changed.sort();
}

function safeCanonical(value: unknown): string {
  if (value === undefined) return 'undefined';
  try {
    return canonicalJson(value);
  } catch {
    return String(value);
  }
}

function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  return 'the node failed without an error message';
}

function isJournal(value: unknown): value is Journal {
  return (
    typeof (value as Journal).getRecord === 'function' && typeof (value as Journal).putRecord === 'function'
  );
}
