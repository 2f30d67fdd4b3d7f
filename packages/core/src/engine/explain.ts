// explain: whether each planned node will run and why, against what the engine last ran for it.
import { canonicalJson } from '../hash';
import type { CacheEntry } from '../store';
import type { ExplainEntry, ExplainReason, NodeEstimate } from './api';
import type { CacheAccess } from './cache-access';
import { depsOf, type InternalPlan, type Step, wiresOf } from './plan';

/**
 * What each node looked like when it last ran or was reused (the step itself, with the identity
 * table of that run on it), so explain can say what changed. One per engine, keyed by node id.
 */
export class LastSeen {
  private readonly steps = new Map<string, Step>();
  // The steps of a plan whose every node the map already maps to that plan's step (its last run
  // remembered them all, and nothing else was remembered since): running it again skips the map.
  private owner: Step[] | undefined;
  /** How many times the map was written, so a run can tell whether it alone wrote since it began. */
  writes = 0;

  get(nodeId: string): Step | undefined {
    return this.steps.get(nodeId);
  }

  remember(step: Step, identities: string[], planSteps: Step[]): void {
    // references only (the step and the run's identity table): nothing is allocated per node
    step.seenIdentities = identities;
    if (this.owner === planSteps) return;
    this.owner = undefined;
    this.writes++;
    this.steps.set(step.nodeId, step);
  }

  /**
   * After a run: when it ran or reused every node of its plan and nothing else wrote in between,
   * the plan owns the map, and its next run skips the writes.
   */
  finishRun(planSteps: Step[], writesAtStart: number, allSettledWell: boolean): void {
    if (this.owner !== planSteps && allSettledWell && this.writes - writesAtStart === planSteps.length)
      this.owner = planSteps;
  }
}

/** The explain entries of a plan whose pure keys are `keys`. */
export function explainPlan(
  plan: InternalPlan,
  keys: Array<string | undefined>,
  access: CacheAccess,
  seen: LastSeen,
): Promise<ExplainEntry[]>;
/** The same entries made as estimate nodes (with the node's type), which estimate fills in place. */
export function explainPlan(
  plan: InternalPlan,
  keys: Array<string | undefined>,
  access: CacheAccess,
  seen: LastSeen,
  typed: true,
): Promise<NodeEstimate[]>;
export function explainPlan(
  plan: InternalPlan,
  keys: Array<string | undefined>,
  access: CacheAccess,
  seen: LastSeen,
  typed = false,
): Promise<ExplainEntry[]> {
  return new PlanExplainer(plan.steps, keys, access, seen).entries(typed);
}

/** One explain call: the plan's steps and keys, the store, and what the engine last saw of each node. */
class PlanExplainer {
  private readonly steps: Step[];
  private readonly keys: Array<string | undefined>;
  private readonly access: CacheAccess;
  private readonly seen: LastSeen;

  constructor(steps: Step[], keys: Array<string | undefined>, access: CacheAccess, seen: LastSeen) {
    this.steps = steps;
    this.keys = keys;
    this.access = access;
    this.seen = seen;
  }

  async entries(typed: boolean): Promise<ExplainEntry[]> {
    const entries: ExplainEntry[] = [];
    for (const step of this.steps) {
      const key = this.keys[step.index];
      // with a synchronous store and no side effects there is nothing to wait for (the editor's per-keystroke path)
      const reason =
        this.access.getSync && !step.def.sideEffects
          ? this.reasonSync(step, key)
          : await this.reason(step, key);
      const willRun = reason.code !== 'cache.hit';
      // typed: one object per node for estimate, instead of an entry and then a copy with its type
      const entry: ExplainEntry | NodeEstimate = typed
        ? { nodeId: step.nodeId, willRun, key, reason, type: step.def.type }
        : { nodeId: step.nodeId, willRun, key, reason };
      entries.push(entry);
    }
    return entries;
  }

  private async reason(step: Step, key: string | undefined): Promise<ExplainReason> {
    const early = volatileReason(step, key, this.steps);
    if (early) return early;
    const { access } = this;
    let entry: CacheEntry | undefined;
    try {
      entry = access.getSync ? access.getSync(key!) : await access.cache.get(key!);
    } catch {
      entry = undefined;
    }
    if (entry) {
      if (step.def.sideEffects && !(await access.effectsDone(key!, entry))) {
        return {
          code: 'effect.incomplete',
          message: `"${step.nodeId}" has a cached result but its recorded side effect did not complete, so it runs again.`,
        };
      }
      return { code: 'cache.hit', message: `"${step.nodeId}" comes from the cache.` };
    }
    return this.missReason(step);
  }

  /** `reason` for a node whose cache entry can be read synchronously and that has no effects. */
  private reasonSync(step: Step, key: string | undefined): ExplainReason {
    const early = volatileReason(step, key, this.steps);
    if (early) return early;
    let entry: CacheEntry | undefined;
    try {
      entry = this.access.getSync!(key!);
    } catch {
      entry = undefined;
    }
    if (entry) return { code: 'cache.hit', message: `"${step.nodeId}" comes from the cache.` };
    return this.missReason(step);
  }

  /** Why a node without a usable cache entry runs: what changed since this engine last saw it. */
  private missReason(step: Step): ExplainReason {
    const { keys, steps } = this;
    const last = this.seen.get(step.nodeId);
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
    const upstream = this.changedUpstream(step, last);
    if (upstream) return inputsChanged(step.nodeId, upstream);
    return {
      code: 'cache.miss',
      message: `"${step.nodeId}" has no cached result for its current key (the entry is gone or the settings changed).`,
    };
  }

  /** The upstream nodes whose identity differs from when `last` ran, or that were connected or disconnected. */
  private changedUpstream(step: Step, last: Step): string[] | undefined {
    const lastIdentities = last.seenIdentities!;
    const now = wiresOf(step).map((w) => ({
      from: this.steps[w.from]!.nodeId,
      identity: this.keys[w.from]!,
    }));
    const upstream = new Set<string>();
    const lastWires = wiresOf(last);
    const lastFrom = lastWires.map((w) => w.fromId);
    const before = new Map(lastWires.map((w) => [w.fromId, lastIdentities[w.from]]));
    for (const input of now) if (before.get(input.from) !== input.identity) upstream.add(input.from);
    if (upstream.size === 0 && now.length === lastFrom.length) return undefined;
    for (const old of lastFrom) if (!now.some((n) => n.from === old)) upstream.add(old);
    return [...upstream];
  }
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
