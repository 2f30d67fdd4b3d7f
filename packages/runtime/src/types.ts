import type {
  NodeEstimate as CoreNodeEstimate,
  ExplainEntry,
  GraphDocument,
  Issue,
  JsonValue,
  PortType,
  RunEvent,
  RunHandle,
} from '@loraflow/core';
import type { ModelPage, ModelQuery } from './models';
import type { RunRecord } from './store/types';
import type { TenantCredentials } from './tenants';

/**
 * One node of `estimate`: core's `NodeEstimate` (`explain` plus the node's own cost estimate when it
 * will run and has one).
 *
 * @example
 * const train = (await runtime.estimate(doc)).nodes.find((n) => n.type === 'lora.train');
 * if (train?.cost) show(train.cost.amount, train.cost.unit);
 */
export type NodeEstimate = CoreNodeEstimate;

/**
 * What running a graph would do: each node's plan and cost, and the costs summed per unit.
 *
 * @example
 * const { totals } = await runtime.estimate(doc);
 * console.log(totals.credits ?? 0, 'credits');
 */
export interface RunEstimate {
  nodes: NodeEstimate[];
  /** Sum of the costs of the nodes that will run, per unit (e.g. `{ credits: 120 }`). */
  totals: Record<string, number>;
  willRun: number;
  fromCache: number;
  /** How many nodes that will run have a cost the estimate could not know (so `totals` is a lower bound). */
  unknownCosts: number;
}

/**
 * A port in the catalogue. `type` is absent when it depends on params or connected types.
 *
 * @example
 * const port: CataloguePort = { name: 'loras', type: { kind: 'lora' }, multiple: true, max: 5 };
 */
export interface CataloguePort {
  name: string;
  type?: PortType;
  dynamicType?: true;
  label?: string;
  description?: string;
  multiple?: boolean;
  optional?: boolean;
  max?: number;
  /** JSON Schema of per-connection settings (e.g. a LoRA's scale). */
  settings?: Record<string, unknown>;
}

/**
 * A node type in the catalogue: what a palette, an inspector or a form generator needs, as JSON.
 *
 * @example
 * const form = renderJsonSchemaForm(node.params); // any JSON Schema form library
 */
export interface CatalogueNode {
  type: string;
  version: number;
  pack: string;
  title?: string;
  category?: string;
  description?: string;
  /** JSON Schema (draft 2020-12) of the params, as a form would fill them in. */
  params: Record<string, unknown>;
  inputs: CataloguePort[];
  outputs: CataloguePort[];
  cache: 'pure' | 'run' | 'never' | 'depends-on-params';
  sideEffects: boolean;
}

/**
 * Every node type a runtime can run, and the port type kinds they use.
 *
 * @example
 * const { nodes } = await runtime.catalogue();
 * const trainers = nodes.filter((n) => n.category === 'training');
 */
export interface NodeCatalogue {
  nodes: CatalogueNode[];
  types: Array<{ kind: string; description?: string }>;
}

/**
 * A run in progress, local or remote. `subscribe` first replays this attempt's events so far, then streams the rest;
 * the result holds each node's outcome once the run (attempt) has finished and been recorded.
 *
 * @example
 * const handle = await runtime.run(doc);
 * handle.subscribe((e) => e.type === 'node.progress' && bar(e.nodeId, e.fraction));
 * const result = await handle.result;
 */
export interface RuntimeRunHandle extends RunHandle {
  /** The seq of the run's last event before this attempt: this attempt's events are those after it. */
  readonly after: number;
}

/**
 * The one interface the editor and the CLI program against: a local runtime (`createRuntime`) and a remote one
 * (`createRemoteRuntime`, over the HTTP handler) answer it the same way.
 *
 * @example
 * const runtime: Runtime = inBrowser ? createRemoteRuntime({ baseUrl: '/loraflow' }) : createRuntime({ registry });
 * const { runId } = await runtime.run(doc);
 */
export interface Runtime {
  catalogue(): Promise<NodeCatalogue>;
  validate(doc: unknown): Promise<{ ok: boolean; issues: Issue[] }>;
  explain(doc: GraphDocument, o?: { targets?: string[] }): Promise<ExplainEntry[]>;
  estimate(doc: GraphDocument, o?: { targets?: string[] }): Promise<RunEstimate>;
  /** `refresh`: nodes to run again whatever the cache holds (with their downstream), or `'all'` (see core's RunOptions). */
  run(
    doc: GraphDocument,
    o?: { targets?: string[]; refresh?: string[] | 'all'; signal?: AbortSignal },
  ): Promise<RuntimeRunHandle>;
  resume(runId: string, o?: { signal?: AbortSignal }): Promise<RuntimeRunHandle>;
  cancel(runId: string): Promise<void>;
  getRun(runId: string): Promise<RunRecord | undefined>;
  listRuns(o?: { limit?: number }): Promise<RunRecord[]>;
  /**
   * A run's events with `seq > after`, across all its attempts: stored ones first, then live ones while the run is
   * going; it ends after the current attempt's `run.finished` (or at once for a run that is not going).
   */
  events(runId: string, o?: { after?: number; signal?: AbortSignal }): AsyncIterable<RunEvent>;
  getBlob(hash: string): Promise<Uint8Array | undefined>;
  /** A page of the providers' models (filters, search, cursor, limit 1..100); see `ModelQuery`. */
  models(query?: ModelQuery): Promise<ModelPage>;
  /** The PNG, JPEG or WebP bytes of a model's picture (`ModelSummary.thumbnail`), or undefined. */
  modelThumbnail(ref: string): Promise<Uint8Array | undefined>;
}

export type { ExplainEntry, JsonValue };

/**
 * A runtime in this process (`createRuntime`): a {@link Runtime} that can also be stopped for a shutdown.
 *
 * @example
 * process.once('SIGTERM', async () => {
 *   await server.close();
 *   const stopped: string[] = await runtime.interrupt(); // each record now says interrupted
 *   process.exit(0);
 * });
 */
export interface LocalRuntime extends Runtime {
  /**
   * Stops the runtime for a shutdown: new runs and resumes are refused (`runtime.stopping`), and every live run is
   * checkpointed as interrupted (status `running`, `interrupted: true`): its events so far and its record are stored,
   * nothing it does afterwards is, and `resume(runId)` — here after a restart, or in another process — continues it.
   * The provider is not asked to cancel anything (a training started goes on and is re-attached on resume). The
   * runs' nodes may still be waiting on providers in memory: end the process afterwards. Answers the ids stopped.
   */
  interrupt(): Promise<string[]>;
  /**
   * As {@link Runtime.resume}; `unlessEnded` is a worker's take-up of a queued job: a run that has ended since (cancelled
   * while queued) is refused with `run.ended` under the run's take-up claim, never started again.
   */
  resume(runId: string, o?: { signal?: AbortSignal; unlessEnded?: boolean }): Promise<RuntimeRunHandle>;
  /**
   * The runtime as one tenant sees it (decision 0034): its runs spend the keys in `credentials` (checked with
   * `tenantCredentialsSchema`; services built by the `tenants` option), carry its id, and only it lists or reads them;
   * another tenant's run is `run.not-found`. Throws a TypeError when the runtime was created without `tenants`.
   *
   * @example
   * const alice = runtime.forTenant({ tenant: 'alice', providers: { modelslab: { apiKey: aliceKey } } });
   * const { runId } = await alice.run(doc);
   */
  forTenant(credentials: TenantCredentials): Runtime;
}
