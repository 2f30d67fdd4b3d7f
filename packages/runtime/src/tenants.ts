// Many tenants on one runtime (decision 0034): each run uses its tenant's provider keys, and a tenant sees only its own runs.
import { canonicalJson, type Engine, type ExplainEntry, type GraphDocument } from '@loraflow/core';
import { z } from 'zod';
import { blobHashesIn } from './blob-refs';
import { issuesOf, RUNTIME_CODES, RuntimeError } from './errors';
import type { ModelPage, ModelQuery, ModelSource } from './models';
import type { RunRecord } from './store/types';
import type { RunEstimate, Runtime, RuntimeRunHandle } from './types';

// 4+ characters: the redactor ignores shorter strings, so a shorter key could not be kept out of events and errors.
const providerKey = z
  .string()
  .min(4)
  .max(1024)
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces');

/**
 * What a host's `credentials(request)` answers: who the caller is (`tenant`, an id the runtime keeps on the caller's
 * runs) and the provider keys that caller's runs spend. Base URLs are not here: where the providers are is the host's
 * configuration (`tenants.services`), never a caller's.
 *
 * @example
 * const parsed = tenantCredentialsSchema.safeParse({ tenant: 'user_42', providers: { modelslab: { apiKey } } });
 */
export const tenantCredentialsSchema = z.strictObject({
  tenant: z
    .string()
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}$/,
      'must be 1-128 letters, digits or _ . : @ - (starting with a letter or digit)',
    ),
  providers: z.strictObject({
    scenario: z
      .strictObject({
        apiKey: providerKey,
        apiSecret: providerKey,
        projectId: z
          .string()
          .regex(/^proj_[A-Za-z0-9_-]{1,128}$/, 'must be a Scenario project id (proj_…)')
          .optional(),
      })
      .optional(),
    modelslab: z.strictObject({ apiKey: providerKey }).optional(),
  }),
});

/**
 * One tenant's identity and provider keys, as {@link tenantCredentialsSchema} checked them.
 *
 * @example
 * const alice: TenantCredentials = { tenant: 'alice', providers: { scenario: { apiKey, apiSecret } } };
 */
export type TenantCredentials = z.infer<typeof tenantCredentialsSchema>;

/**
 * How a runtime serves several tenants (`createRuntime({ tenants })`).
 *
 * @example
 * createRuntime({ registry, store, services: { polling: {} }, tenants: {
 *   services: ({ providers }) => ({ modelslab: new ModelsLabClient({ apiKey: providers.modelslab?.apiKey ?? '' }) }),
 *   credentialsFor: (tenant) => db.keysOf(tenant),
 * } });
 */
export interface TenantOptions {
  /**
   * The services a tenant's runs use, built from its keys (provider clients); laid over the runtime's own `services`.
   * Called once per tenant and set of keys: the engine built on them is kept (see `maxTenants`).
   */
  services(credentials: TenantCredentials): Record<string, unknown>;
  /**
   * A tenant's keys when no request brings them: a run resumed after a restart (`runtime.resume`) or by a worker.
   * Without it, such a resume fails with `tenant.credentials-unavailable`; `undefined` (a tenant gone) fails the same way.
   */
  credentialsFor?(tenant: string): TenantCredentials | undefined | Promise<TenantCredentials | undefined>;
  /** How many tenants' engines are kept between runs, least recently used dropped first (default 256). */
  maxTenants?: number;
  /**
   * The model catalogues a tenant's picker lists, built from its services (e.g. nodes' `createLoraModelSources`).
   * Without it a tenant's `models` lists nothing: the runtime's own catalogue would show the host's account.
   */
  models?(services: Record<string, unknown>): ModelSource[];
}

/**
 * Checks what a host's `credentials` hook answered. A wrong shape throws `tenant.credentials-invalid` naming the path
 * and the rule broken; the values themselves never appear in the error (they are keys).
 *
 * @example
 * const credentials = parseTenantCredentials(await hostHook(request)); // throws RuntimeError on a bad shape
 */
export function parseTenantCredentials(value: unknown): TenantCredentials {
  const parsed = tenantCredentialsSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  // zod's messages name the rule (a pattern, a length, an unknown key), never the input
  const issues = issuesOf(parsed.error.issues, RUNTIME_CODES.tenantCredentialsInvalid);
  const first = issues[0]!;
  throw new RuntimeError(
    RUNTIME_CODES.tenantCredentialsInvalid,
    `The tenant credentials the server resolved are not usable (at ${first.path.join('.') || 'the top'}: ${first.message}).`,
    issues,
  );
}

/**
 * The secret strings in a tenant's credentials: what its runs' engine redacts and refuses to store.
 *
 * @example
 * createEngine({ ..., secrets: [...hostSecrets, ...tenantSecrets(credentials)] });
 */
export function tenantSecrets(credentials: TenantCredentials): string[] {
  const { scenario, modelslab } = credentials.providers;
  return [scenario?.apiKey, scenario?.apiSecret, modelslab?.apiKey].filter(
    (s): s is string => s !== undefined,
  );
}

/**
 * The engines of a runtime's tenants: one per tenant, built from its keys on first use and rebuilt when they change, so
 * its provider clients, and through their `cacheScope` its cache keys (decision 0010), are that tenant's account.
 *
 * @example
 * const engines = new TenantEngines(options.tenants, (services, secrets) => createEngine({ ...base, services, secrets }));
 * const engine = await engines.forRun(record.runId, record.tenant, credentialsFromTheRequest);
 */
export class TenantEngines {
  private readonly options: TenantOptions | undefined;
  private readonly build: (services: Record<string, unknown>, secrets: string[]) => Engine;
  /** By tenant, least recently used first (a Map keeps insertion order). */
  private readonly kept = new Map<
    string,
    { fingerprint: string; engine: Engine; services: Record<string, unknown> }
  >();
  /** By tenant, the blob hashes its runs refer to (a hash never leaves a run once in it). */
  private readonly blobs = new Map<string, TenantBlobIndex>();

  /** `options` undefined: a runtime that serves no tenant, whose tenant runs cannot run here. */
  constructor(
    options: TenantOptions | undefined,
    build: (services: Record<string, unknown>, secrets: string[]) => Engine,
  ) {
    this.options = options;
    this.build = build;
  }

  /** These engines, for a runtime that serves tenants; a TypeError naming the missing option otherwise. */
  serving(): this {
    this.servingOptions();
    return this;
  }

  private servingOptions(): TenantOptions {
    if (this.options === undefined)
      throw new TypeError(
        'This runtime serves no tenants: give createRuntime a tenants option (decision 0034).',
      );
    return this.options;
  }

  /** The engine for these credentials: the tenant's kept one while its keys are the same, else a new one. */
  engineFor(credentials: TenantCredentials): Engine {
    return this.keptFor(credentials).engine;
  }

  /** The services `tenants.services` built for these credentials: the same clients the tenant's engine runs on. */
  servicesFor(credentials: TenantCredentials): Record<string, unknown> {
    return this.keptFor(credentials).services;
  }

  private keptFor(credentials: TenantCredentials) {
    const options = this.servingOptions();
    // held in memory only, like the clients that hold the same keys
    const fingerprint = canonicalJson(credentials.providers);
    const found = this.kept.get(credentials.tenant);
    this.kept.delete(credentials.tenant);
    let entry = found;
    if (entry?.fingerprint !== fingerprint) {
      const services = options.services(credentials);
      entry = { fingerprint, engine: this.build(services, tenantSecrets(credentials)), services };
    }
    this.kept.set(credentials.tenant, entry);
    trim(this.kept, options.maxTenants ?? 256);
    return entry;
  }

  /** The index of the blob hashes `tenant`'s runs refer to (kept for the most recent tenants, like engines). */
  blobIndex(tenant: string): TenantBlobIndex {
    const found = this.blobs.get(tenant) ?? new TenantBlobIndex();
    this.blobs.delete(tenant);
    this.blobs.set(tenant, found);
    trim(this.blobs, this.options?.maxTenants ?? 256);
    return found;
  }

  /**
   * The engine of a stored run's tenant: built on `given` when a request brought that tenant's keys, else on what
   * `credentialsFor` answers; neither is `tenant.credentials-unavailable`.
   */
  async forRun(runId: string, tenant: string, given?: TenantCredentials): Promise<Engine> {
    return this.engineFor(await this.credentialsForRun(runId, tenant, given));
  }

  /** The keys of a stored run's tenant, as {@link forRun} finds them (the request's, else `credentialsFor`'s). */
  async credentialsForRun(
    runId: string,
    tenant: string,
    given?: TenantCredentials,
  ): Promise<TenantCredentials> {
    if (given?.tenant === tenant) return given;
    const lookup = this.options?.credentialsFor;
    const found = lookup ? await lookup(tenant) : undefined;
    if (found === undefined) {
      throw new RuntimeError(
        RUNTIME_CODES.tenantCredentialsUnavailable,
        lookup
          ? `The run "${runId}" belongs to a tenant whose keys tenants.credentialsFor no longer gives; it cannot be resumed.`
          : `The run "${runId}" belongs to a tenant, and without tenants.credentialsFor this runtime has no keys to resume it with: resume it through that tenant's requests, or configure credentialsFor.`,
      );
    }
    const credentials = parseTenantCredentials(found);
    if (credentials.tenant !== tenant) {
      throw new RuntimeError(
        RUNTIME_CODES.tenantCredentialsInvalid,
        `tenants.credentialsFor was asked for the keys of the tenant of run "${runId}" and answered another tenant's.`,
      );
    }
    return credentials;
  }
}

/**
 * The local runtime's methods that can act for a tenant: `as` names the tenant (its keys choose the engine, its id goes
 * on a new run's record and must be on a resumed one), `tenant` lists only that tenant's runs. Without them, the
 * runtime acts as the host, which sees every run.
 *
 * @example
 * await runtime.run(doc, {}, credentials); // what forTenant(credentials).run(doc) does
 */
export interface TenantAware {
  explain(doc: GraphDocument, o?: { targets?: string[] }, as?: TenantCredentials): Promise<ExplainEntry[]>;
  estimate(doc: GraphDocument, o?: { targets?: string[] }, as?: TenantCredentials): Promise<RunEstimate>;
  run(
    doc: GraphDocument,
    o?: Parameters<Runtime['run']>[1],
    as?: TenantCredentials,
  ): Promise<RuntimeRunHandle>;
  resume(
    runId: string,
    o?: Parameters<Runtime['resume']>[1],
    as?: TenantCredentials,
  ): Promise<RuntimeRunHandle>;
  listRuns(o?: { limit?: number; tenant?: string }): Promise<RunRecord[]>;
  /** `as`: the keys with which to stop, at the provider, what an orphaned run of that tenant started. */
  cancel(runId: string, as?: TenantCredentials): Promise<void>;
  /** The tenant's own model catalogue (`TenantOptions.models`), never the host's. */
  models(query?: ModelQuery, as?: TenantCredentials): Promise<ModelPage>;
  modelThumbnail(ref: string, as?: TenantCredentials): Promise<Uint8Array | undefined>;
}

/**
 * A tenant's services laid over the runtime's own (a record or a Map, as the engine takes them). The runtime's
 * account services — those with a `cacheScope` (decision 0010): provider clients holding the host's keys — are left
 * out, so a tenant's run spends its own keys or fails for want of the service, never the host's account.
 *
 * @example
 * layServices({ polling: {}, scenario: hostClient }, { modelslab }); // { polling: {}, modelslab }
 */
export function layServices(
  base: Record<string, unknown> | Map<string, unknown> | undefined,
  over: Record<string, unknown>,
): Record<string, unknown> {
  const own = base instanceof Map ? Object.fromEntries(base) : (base ?? {});
  const shared = Object.entries(own).filter(([, service]) => !isAccountService(service));
  return { ...Object.fromEntries(shared), ...over };
}

function isAccountService(service: unknown): boolean {
  try {
    return typeof (service as { cacheScope?: unknown } | null)?.cacheScope === 'function';
  } catch {
    // a client that cannot even be looked at (a lazy one missing its key) is a provider client all the same
    return true;
  }
}

/** The runtimes created with a `tenants` option: what the HTTP handler checks before it takes a credentials hook. */
const serving = new WeakSet<object>();

/**
 * Marks `runtime` as one that serves tenants (createRuntime does, when given `tenants`), or asks whether it is.
 *
 * @example
 * if (!servesTenants(runtime)) throw new TypeError('credentials needs a runtime that serves tenants');
 */
export function servesTenants(runtime: object, mark = false): boolean {
  if (mark) serving.add(runtime);
  return serving.has(runtime);
}

/** Drops the least recently used entries of `map` past `max`. */
function trim(map: Map<string, unknown>, max: number): void {
  for (const key of map.keys()) {
    if (map.size <= max) break;
    map.delete(key);
  }
}

// Runs created since the index was built are found newest first, a page at a time, until one it knows.
const NEW_RUN_PAGES = [4, 64, undefined] as const;

/**
 * The blob hashes one tenant's runs refer to, in this process (decision 0034): built by one read of the tenant's runs,
 * then kept as they are written — a run this view starts or resumes is watched until it ends, and runs another process
 * created since are found newest first, stopping at the first run already indexed. A hash the tenant does not own is
 * then answered from the index, plus a read of its unfinished runs, never a scan of its history.
 *
 * @example
 * const index = new TenantBlobIndex();
 * index.take(record);
 * index.hashes.has(hash);
 */
export class TenantBlobIndex {
  readonly hashes = new Set<string>();
  /** The runs indexed, and those among them still going (their outputs may grow). */
  readonly runs = new Set<string>();
  readonly open = new Set<string>();
  built: Promise<void> | undefined;

  /** Adds a run's hashes (its document and its nodes' outputs); a run that has ended is no longer watched. */
  take(run: RunRecord): void {
    blobHashesIn([run.doc, run.nodes], this.hashes);
    this.runs.add(run.runId);
    if (run.status === 'running') this.open.add(run.runId);
    else this.open.delete(run.runId);
  }

  /** Watches a run this process just started or resumed: read again on the next miss, until it ends. */
  watch(runId: string): void {
    this.runs.add(runId);
    this.open.add(runId);
  }
}

/**
 * The runtime as one tenant sees it: its runs use its keys, and every other tenant's run is absent (`run.not-found`,
 * never "forbidden": a tenant does not learn that another's run exists). A blob is served when one of the tenant's
 * runs refers to it — the bytes are shared, content-addressed storage, so ownership is checked on the runs.
 *
 * @example
 * const alice = runtime.forTenant({ tenant: 'alice', providers: { modelslab: { apiKey } } });
 * const { runId } = await alice.run(doc);
 * await runtime.forTenant(bob).getRun(runId); // undefined
 */
export function tenantRuntime(
  base: Runtime & TenantAware,
  credentials: TenantCredentials,
  engines: Pick<TenantEngines, 'blobIndex'>,
): Runtime {
  const tenant = credentials.tenant;
  const owned = async (runId: string): Promise<RunRecord> => {
    const record = await base.getRun(runId);
    if (record?.tenant !== tenant)
      throw new RuntimeError(RUNTIME_CODES.runNotFound, `There is no run "${String(runId)}" in this store.`);
    return record;
  };
  const ownRuns = async (limit: number | undefined) => {
    const runs = await base.listRuns(limit === undefined ? { tenant } : { limit, tenant });
    // checked again here: a store written before tenants existed would ignore the option and list everyone's runs
    return runs.filter((r) => r.tenant === tenant);
  };
  const findBlob = async (hash: string): Promise<boolean> => {
    const index = engines.blobIndex(tenant);
    if (index.hashes.has(hash)) return true;
    if (!index.built) {
      const building = (async () => {
        for (const run of await ownRuns(undefined)) index.take(run);
      })();
      index.built = building;
      // a failed read is tried again by the next request, not remembered
      building.catch(() => {
        if (index.built === building) index.built = undefined;
      });
    }
    await index.built;
    if (index.hashes.has(hash)) return true;
    // runs created elsewhere since the index was built: newest first, until one it knows
    for (const limit of NEW_RUN_PAGES) {
      const runs = await ownRuns(limit);
      const fresh = runs.filter((run) => !index.runs.has(run.runId));
      for (const run of fresh) index.take(run);
      if (fresh.length < runs.length || limit === undefined || runs.length < limit) break;
    }
    // and the runs still going, whose outputs may have grown
    for (const runId of [...index.open]) {
      const run = await base.getRun(runId);
      if (run?.tenant === tenant) index.take(run);
      else index.open.delete(runId);
    }
    return index.hashes.has(hash);
  };
  const watched = async (handle: Promise<RuntimeRunHandle>) => {
    const started = await handle;
    engines.blobIndex(tenant).watch(started.runId);
    return started;
  };
  return {
    catalogue: () => base.catalogue(),
    validate: (doc) => base.validate(doc),
    explain: (doc, o) => base.explain(doc, o, credentials),
    estimate: (doc, o) => base.estimate(doc, o, credentials),
    run: (doc, o) => watched(base.run(doc, o, credentials)),
    async resume(runId, o) {
      // checked before the runtime's own refusals, which would tell a live run (run.active) from an absent one
      await owned(runId);
      return watched(base.resume(runId, o, credentials));
    },
    async cancel(runId) {
      await owned(runId);
      await base.cancel(runId, credentials);
    },
    async getRun(runId) {
      const record = await base.getRun(runId);
      return record?.tenant === tenant ? record : undefined;
    },
    listRuns: (o) => ownRuns(o?.limit),
    async *events(runId, o) {
      await owned(runId);
      yield* base.events(runId, o);
    },
    async getBlob(hash) {
      if (!(await findBlob(hash))) return undefined;
      return base.getBlob(hash);
    },
    models: (query) => base.models(query, credentials),
    modelThumbnail: (ref) => base.modelThumbnail(ref, credentials),
  };
}
