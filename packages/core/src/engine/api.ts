// The engine's public types: what a host passes in and gets back. Everything else in engine/ is internal.
import type { GraphDocument } from '../document';
import type { NodeError, RunHandle } from '../events';
import type { HashFn } from '../hash';
import type { Issue } from '../issues';
import type { CachePolicy, Estimate, NodeRegistry } from '../node';
import type { HostAbortSignal } from '../signal';
import type { CacheStore, Journal } from '../store';
import type { PortType } from '../types';

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
  /**
   * How long a claim on a side-effect node's key lives without renewal (renewed every third of it while the node
   * runs); after a crash, other runs needing the key take it over this long after the last renewal. Default 60 000 ms.
   */
  claimTtlMs?: number;
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
 * One node in `estimate`: its explain entry, plus its cost when it will run and its definition has
 * an `estimate` hook.
 *
 * @example
 * const train = (await engine.estimate(doc)).find((n: NodeEstimate) => n.type === 'lora.train');
 * if (train?.cost) show(train.cost.amount, train.cost.unit);
 */
export interface NodeEstimate extends ExplainEntry {
  type: string;
  cost?: Estimate;
  /** The estimate hook failed: the node still runs, its cost is unknown. */
  costError?: NodeError;
  /** The node has a cost but it cannot be known before running (no dry run possible yet): not "free". */
  costUnknown?: true;
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
  /**
   * Nodes to run again whatever the cache and journal hold (and everything downstream of them), or `'all'`: for when
   * a provider forgot what the cache remembers. Their effects are performed anew, not taken from earlier runs.
   */
  refresh?: readonly string[] | 'all';
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
  /**
   * `explain` plus each node's cost: a definition's `estimate` hook gets the params and connection
   * settings parsed as `run` gets them, the connections' types, the upstream values already cached
   * (shaped as `ctx.inputs`) and the engine's services. A hook that throws is that node's `costError`.
   *
   * @example
   * const nodes = await engine.estimate(doc);
   * const credits = nodes.reduce((sum, n) => sum + (n.cost?.unit === 'credits' ? n.cost.amount : 0), 0);
   */
  estimate(doc: GraphDocument, options?: { targets?: string[] }): Promise<NodeEstimate[]>;
  run(doc: GraphDocument, options?: RunOptions): RunHandle;
}
