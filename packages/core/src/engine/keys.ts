// Node keys as the engine computes them: the Merkle key of a step, the salt of a scoped node, the
// identity of a volatile node's output. The preimage itself is rendered in key-preimage.ts.
import { canonicalJson, type HashFn, sha256Hex } from '../hash';
import type { AnyNodeDefinition, ScopedService } from '../node';
import { compareCodeUnits, compileKeyTemplate, KeyHasher, renderKeyPreimageColumns } from './key-preimage';
import { type InternalPlan, type Step, wiresOf } from './plan';

/** One engine's key maker: its hash (with a memo when that is the slow portable one) and its services' accounts. */
export class NodeKeys {
  private readonly hasher: KeyHasher;
  private readonly hash: HashFn;
  private readonly services: Map<string, unknown>;
  // Per set of service names, once per engine: the services (and so their accounts) are fixed at creation.
  private readonly scopes = new Map<string, string>();

  constructor(hash: HashFn, services: Map<string, unknown>) {
    this.hash = hash;
    this.services = services;
    // the memo pays off only for the slow portable hash; an injected one (node:crypto) is as fast as a lookup
    this.hasher = new KeyHasher(hash, hash === sha256Hex ? undefined : 0);
  }

  /** The accounts a node's results belong to (canonical JSON), or null when it declares no scope. */
  scopeOf(def: AnyNodeDefinition, params: unknown): string | null {
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
    let scope = this.scopes.get(id);
    if (scope === undefined) {
      scope = this.accountsOf(sorted);
      this.scopes.set(id, scope);
    }
    return scope;
  }

  private accountsOf(names: readonly string[]): string {
    const parts: Array<[string, string | null]> = [];
    for (const name of names) {
      let account: string | null = null;
      try {
        // a host's stand-in for an unconfigured client may throw on any use: the node fails later, clearly
        const service = this.services.get(name) as Partial<ScopedService> | undefined;
        if (service && typeof service.cacheScope === 'function')
          account = String(service.cacheScope(this.hash));
      } catch {
        // unknown account: never the same as a known one, never shared with "no account"
        account = '(unavailable)';
      }
      parts.push([name, account]);
    }
    return canonicalJson(parts);
  }

  /** The key of a step given the identities of its upstream steps. */
  keyOf(step: Step, identity: (index: number) => string, salt: string | null): string {
    // a pure key is computed once per plan (kept in plan.keys or runKeys): no template to keep
    if (!step.template && salt === null && !step.late) {
      const { type, version } = step.def;
      const l = step.links;
      return this.hasher.digest(
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
    return this.hasher.digest(step.template.render(identity, salt));
  }

  /** The keys of a plan's pure steps with pure upstreams (undefined for the others), kept on the plan. */
  staticKeys(plan: InternalPlan): Array<string | undefined> {
    if (plan.keys) return plan.keys;
    const keys: Array<string | undefined> = new Array(plan.steps.length);
    const identity = (i: number) => keys[i]!;
    for (const step of plan.steps) {
      if (step.late || step.policy !== 'pure') keys[step.index] = undefined;
      else keys[step.index] = this.keyOf(step, identity, step.scope);
    }
    plan.keys = keys;
    return keys;
  }

  /** What a volatile node's output stands for in its consumers' keys. */
  outputIdentity(value: unknown, scope: string | null): string {
    // a scoped node's output names things in its account: the account is part of what it means
    return this.hasher.digest(
      scope === null
        ? `["loraflow.output/1",${canonicalJson(value)}]`
        : `["loraflow.output/1",${canonicalJson(value)},${JSON.stringify(scope)}]`,
    );
  }
}
