// Plans: the steps the targets need, in topological order, built from an analysis or patched from
// the previous plan after an edit of a few nodes' params.
import type { GraphEdge } from '../document';
import { GraphError } from '../errors';
import { canonicalJson } from '../hash';
import { ISSUE_CODES } from '../issues';
import type { AnyNodeDefinition, CachePolicy, PortFacts } from '../node';
import type { AnySchema } from '../parse-schema';
import type { PortType } from '../types';
import type { Analysis } from '../validate';
import type { Plan } from './api';
import { errorMessage } from './common';
import type { KeyTemplate } from './key-preimage';
import type { NodeKeys } from './keys';

/**
 * The links of one plan as columns shared by its steps (step indices, compressed rows): no array
 * or object per node or connection, which is what kept the cold path busy collecting garbage.
 */
export interface PlanLinks {
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

/** One node of a plan. Steps are never changed by a run, except for the two memo fields at the end. */
export interface Step {
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
  /** The node's resolved output types (validation's), which its outputs are checked against. */
  outputTypes: Readonly<Record<string, PortType>> | undefined;
  /** The identity table of the last run that ran or reused this step (for explain's "what changed"). */
  seenIdentities: string[] | undefined;
  /** What each output is checked against on the wire, made by the step's first run (see wire-check.ts). */
  wireChecks: WireChecks | undefined;
}

/** Per output port, the distinct port types its value must fit: its own, and those of the inputs it feeds. */
export type WireChecks = ReadonlyArray<{
  port: string;
  types: ReadonlyArray<{ type: PortType; schema: AnySchema; to?: string }>;
}>;

/** A plan as the engine keeps it (with its analysis, see AnalysisCache). */
export interface InternalPlan {
  steps: Step[];
  targets: string[];
  /** Keys of the pure steps, once computed (they depend on the plan alone). */
  keys: Array<string | undefined> | undefined;
  /** Keys of pure steps with pure upstreams that a run computed (they depend on the plan alone). */
  runKeys: Array<string | undefined> | undefined;
}

// shared by every step of a definition that names no resource, as a definition's own list is
export const NO_RESOURCES = Object.freeze([]) as unknown as string[];

/** The rows a run reads, for a plan with no steps (which has no links object). */
export const NO_LINKS: Pick<PlanLinks, 'outStart' | 'outs' | 'depStart'> = {
  outStart: new Int32Array(1),
  outs: new Int32Array(0),
  depStart: new Int32Array(1),
};

/** A step's connections as objects (explain and key templates; not the hot path). */
export function wiresOf(
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
export function depsOf(step: Step): number[] {
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

/** The public form of a plan, with the keys of its pure steps. */
export function publicPlan(plan: InternalPlan, keys: Array<string | undefined>): Plan {
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
}

/**
 * What is known of slot `s`'s connections before it runs: their types, and their settings as the
 * input's schema parsed them (what `ctx.inputs` will carry), per input port in connection order.
 */
export function portFactsOf(analysis: Analysis, s: number): PortFacts {
  const def = analysis.defs[s]!;
  const facts: PortFacts = { inputTypes: {}, inputSettings: {} };
  for (const port in def.inputs ?? {}) {
    facts.inputTypes[port] = [];
    facts.inputSettings[port] = [];
  }
  for (let w = analysis.wireStart[s]!; w < analysis.wireStart[s + 1]!; w++) {
    const edge = analysis.wireEdge[w]!;
    const type = analysis.outputTypes[analysis.wireFrom[w]!]?.[edge.from.port];
    if (!type || !facts.inputTypes[edge.to.port]) continue;
    facts.inputTypes[edge.to.port]!.push(type);
    facts.inputSettings[edge.to.port]!.push((settingsOf(analysis, edge) ?? {}) as Record<string, unknown>);
  }
  return facts;
}

/** A definition's cache policy and resources for some params; throws what the definition threw. */
function policyOf(
  def: AnyNodeDefinition,
  params: unknown,
  analysis: Analysis,
  s: number,
): { policy: CachePolicy; resources: string[] } {
  const policy = typeof def.cache === 'function' ? def.cache(params) : (def.cache ?? 'pure');
  // the connections are gathered only for a definition that asks (most name fixed resources)
  const resources =
    typeof def.resources === 'function'
      ? def.resources(params, portFactsOf(analysis, s))
      : (def.resources ?? NO_RESOURCES);
  if (policy !== 'pure' && policy !== 'run' && policy !== 'never')
    throw new Error(`unknown cache policy "${String(policy)}"`);
  return { policy, resources };
}

/**
 * The plan of an analysis without issues for the requested targets (all sinks when none), in
 * topological order. Throws a GraphError for an unknown target or a definition whose cache policy,
 * resources or scope function throws.
 */
export function buildPlan(
  analysis: Analysis,
  requested: string[] | undefined,
  verb: string,
  keys: NodeKeys,
): InternalPlan {
  const { ids, order, depStart, deps, wireStart, wireEdge, wireFrom } = analysis;
  const targets = requested ?? sinksOf(analysis);
  // with no targets every node is an ancestor of some sink (the graph is acyclic): no walk
  const needed = requested ? ancestorsOf(analysis, requested, verb) : undefined;
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
    let found: { policy: CachePolicy; resources: string[] };
    try {
      found = policyOf(def, params, analysis, s);
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
      policy: found.policy,
      resources: found.resources,
      links,
      scope: keys.scopeOf(def, params),
      late,
      template: undefined,
      outputTypes: analysis.outputTypes[s],
      seenIdentities: undefined,
      wireChecks: undefined,
    };
    index++;
  }
  closeLinks(links, count, depCount, wireCount, wireEdge.length);
  return { steps, targets, keys: undefined, runKeys: undefined };
}

/** The nodes nothing depends on, in topological order: the default targets. */
function sinksOf(analysis: Analysis): string[] {
  const { order, outStart, ids } = analysis;
  const targets: string[] = [];
  for (let o = 0; o < order.length; o++) {
    const s = order[o]!;
    if (outStart[s + 1] === outStart[s]) targets.push(ids[s]!);
  }
  return targets;
}

/** The slots the targets need (themselves and their ancestors); a GraphError for an unknown target. */
function ancestorsOf(analysis: Analysis, targets: string[], verb: string): Uint8Array {
  const { slotOf, order, depStart, deps } = analysis;
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
  const needed = new Uint8Array(analysis.size);
  for (const id of targets) needed[slotOf.get(id)!] = 1;
  for (let o = order.length - 1; o >= 0; o--) {
    const s = order[o]!;
    if (!needed[s]) continue;
    for (let p = depStart[s]!; p < depStart[s + 1]!; p++) needed[deps[p]!] = 1;
  }
  return needed;
}

/** How many slots the target walk marked. */
function countNeeded(needed: Uint8Array, order: Int32Array): number {
  let count = 0;
  for (let o = 0; o < order.length; o++) if (needed[order[o]!]) count++;
  return count;
}

/** Ends the rows, trims the wire columns to what the plan kept, and fills the downstream rows. */
function closeLinks(
  links: PlanLinks,
  count: number,
  depCount: number,
  wireCount: number,
  wires: number,
): void {
  links.depStart[count] = depCount;
  links.wireStart[count] = wireCount;
  if (wireCount < wires) {
    links.wirePort.length = wireCount;
    links.wireFromPort.length = wireCount;
    links.wireSettings.length = wireCount;
    links.wireFromId.length = wireCount;
  }
  // downstream rows from the upstream ones (counted while building), in step order
  const rows = links.outStart;
  for (let i = 0; i < count; i++) rows[i + 1]! += rows[i]!;
  const fill = rows.slice(0, count);
  for (let i = 0; i < count; i++) {
    for (let p = links.depStart[i]!; p < links.depStart[i + 1]!; p++) links.outs[fill[links.deps[p]!]!++] = i;
  }
}

function settingsOf(analysis: Analysis, edge: GraphEdge): unknown {
  return analysis.settings.size > 0 && analysis.settings.has(edge)
    ? analysis.settings.get(edge)
    : (edge.settings ?? null);
}

/**
 * `base` (the plan of the analysis `analysis` was patched from) with the steps of the `changed`
 * nodes replaced, and the keys of what lies downstream of them dropped or recomputed; undefined
 * when that is not safe (a policy that changed, a definition function that threw).
 */
export function patchPlan(
  analysis: Analysis,
  base: InternalPlan,
  changed: readonly string[],
  keys: NodeKeys,
): InternalPlan | undefined {
  const steps = base.steps.slice();
  const at = stepIndex(base.steps);
  for (const nodeId of changed) {
    const index = at.get(nodeId);
    if (index === undefined) continue;
    const old = steps[index]!;
    const slot = analysis.slotOf.get(nodeId)!;
    const check = analysis.checks[slot]!;
    const def = old.def;
    let found: { policy: CachePolicy; resources: string[] };
    try {
      found = policyOf(def, check.params, analysis, slot);
    } catch {
      return undefined;
    }
    // a policy change moves the volatile frontier, which the full build handles
    if (found.policy !== old.policy) return undefined;
    if (check.paramsCanonical === undefined) check.paramsCanonical = canonicalJson(check.params);
    // a literal with buildPlan's field order (not a spread): every step keeps one hidden class
    steps[index] = {
      index: old.index,
      nodeId: old.nodeId,
      def,
      params: check.params,
      paramsCanonical: check.paramsCanonical,
      policy: found.policy,
      resources: found.resources,
      links: old.links,
      scope: keys.scopeOf(def, check.params),
      late: old.late,
      template: undefined,
      // a patched node's definition has fixed types (analysis-cache patches no other), so they stand
      outputTypes: old.outputTypes,
      seenIdentities: undefined,
      wireChecks: undefined,
    };
  }
  // every plan is made with all its fields, so the code reading plans sees one shape
  const plan: InternalPlan = { steps, targets: base.targets, keys: undefined, runKeys: undefined };
  if (base.keys || base.runKeys) patchKeys(plan, base, dirtySteps(steps, changed, at), keys);
  return plan;
}

// Node id → step index of a plan, shared by the plans patched from it (same steps, same order, same links
// object): rebuilding a 5,000-entry map on every keystroke was most of a patch's garbage.
const stepIndexes = new WeakMap<PlanLinks, Map<string, number>>();

function stepIndex(steps: Step[]): Map<string, number> {
  const links = steps[0]?.links;
  let at = links && stepIndexes.get(links);
  if (!at) {
    at = new Map();
    for (const step of steps) at.set(step.nodeId, step.index);
    if (links) stepIndexes.set(links, at);
  }
  return at;
}

/** 1 for each edited step and everything downstream of it. */
function dirtySteps(steps: Step[], changed: readonly string[], at: Map<string, number>): Uint8Array {
  const dirty = new Uint8Array(steps.length);
  for (const nodeId of changed) {
    const index = at.get(nodeId);
    if (index !== undefined) dirty[index] = 1;
  }
  const { depStart, deps } = steps[0]!.links;
  for (let i = 0; i < steps.length; i++) {
    if (!dirty[i]) for (let p = depStart[i]!; p < depStart[i + 1]!; p++) if (dirty[deps[p]!]) dirty[i] = 1;
  }
  return dirty;
}

/** Only the edited steps and what lies downstream of them get new keys. */
function patchKeys(plan: InternalPlan, base: InternalPlan, dirty: Uint8Array, keys: NodeKeys): void {
  const steps = plan.steps;
  if (base.keys) {
    const next = base.keys.slice();
    for (let i = 0; i < steps.length; i++) {
      const step = steps[i]!;
      if (dirty[i] && !step.late && step.policy === 'pure')
        next[i] = keys.keyOf(step, (j) => next[j]!, step.scope);
    }
    plan.keys = next;
  } else if (base.runKeys) {
    // keys a run computed may have gaps (a failed or cancelled run): the dirty ones are left to the next run
    const runKeys = base.runKeys.slice();
    for (let i = 0; i < steps.length; i++) if (dirty[i]) runKeys[i] = undefined;
    plan.runKeys = runKeys;
  }
}
