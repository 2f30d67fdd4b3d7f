import {
  type Admission,
  type CacheStore,
  canonicalJson,
  containsSecret,
  createEngine,
  createMemoryClaims,
  createRedactor,
  createRunStateFold,
  type Engine,
  type EngineOptions,
  type GraphDocument,
  GraphError,
  type HashFn,
  initialRunState,
  isJsonValue,
  type JsonValue,
  loadDocument,
  type NodeOutcome,
  type NodeRegistry,
  type NodeRunState,
  type RunEvent,
  type RunResult,
  type RunStateFold,
  redactValue,
  setOwn,
} from '@loraflow/core';
import { z } from 'zod';
import { createQuestionAdmission } from './analysis-cache';
import { blobHashesIn } from './blob-refs';
import { CANCEL_WATCH_MS, pendingCancel, requestCancel, writeFenced } from './cancel-request';
import { buildCatalogue } from './catalogue';
import { FOLLOW_MS, followedHandle, followStored } from './dispatch';
import { RUNTIME_CODES, RuntimeError } from './errors';
import { createModelCatalogue, type ModelQuery, type ModelSource } from './models';
import { orphanClosing, type WorkStopper } from './orphan-cancel';
import { activeElsewhere, executorAlive, whileTakingUp } from './run-lease';
import { createMemoryStore } from './store/memory';
import type { NodeRecord, RunRecord, RuntimeStore } from './store/types';
import {
  layServices,
  parseTenantCredentials,
  servesTenants,
  type TenantAware,
  type TenantCredentials,
  TenantEngines,
  type TenantOptions,
  tenantRuntime,
  tenantSecrets,
} from './tenants';
import type { LocalRuntime, NodeEstimate, RunEstimate, RuntimeRunHandle } from './types';

/**
 * Options of {@link createRuntime}.
 *
 * @example
 * createRuntime({ registry, store, services: { scenario }, secrets: [apiKey], limits: { 'provider:scenario': 2 } });
 */
export interface RuntimeOptions {
  registry: NodeRegistry;
  /** Where the cache, journal and run history live; in memory by default. */
  store?: RuntimeStore;
  /** Services nodes reach through `ctx.services.get(name)` (provider clients, a fetch). */
  services?: EngineOptions['services'];
  /** The providers' model catalogues `runtime.models` lists, in order (e.g. `createLoraModelSources(services)`). */
  models?: readonly ModelSource[];
  concurrency?: number;
  limits?: Record<string, number>;
  /** Strings (4+ characters) that must never reach the store, an event or an error: API keys and the like. */
  secrets?: readonly string[];
  /**
   * Runs on behalf of several tenants, each with its own provider keys (`runtime.forTenant`, the HTTP handler's
   * `credentials`): how a tenant's services are built from its keys, and how to find its keys again to resume.
   */
  tenants?: TenantOptions;
  /** Applied to every log line, event message and error message, before the secrets are. */
  redact?: (text: string) => string;
  hash?: HashFn;
  now?: () => number;
  createRunId?: () => string;
  /**
   * How long a run's lease (and an effect claim) outlives its holder's last renewal: after a crash, another process
   * takes the run or the effect over this long after (default {@link INTERRUPTED_AFTER_MS}; the heartbeat renews at a
   * third of it).
   */
  leaseMs?: number;
  /**
   * Hands runs to another process instead of executing them here (decision 0033): `run` and `resume` store the record
   * (a new run with `attempts: 0`, queued) and call this with its id; a worker's runtime then takes it up with
   * `resume`. Events and results of such runs are read from the store, every `followMs` (default 250 ms).
   */
  dispatch?: (runId: string) => Promise<void>;
  followMs?: number;
  /**
   * By node type, how to stop at the provider what a node started, when a run whose executor died is cancelled
   * (decision 0032): each reads the step's journal records and cancels the work it finds going. A side-effect node
   * type without one gets a warning in the run's events instead.
   */
  stoppers?: Readonly<Record<string, WorkStopper>>;
}

interface ActiveRun {
  runId: string;
  record: RunRecord;
  /** This attempt's events, renumbered to follow the run's earlier attempts. */
  log: RunEvent[];
  /** This attempt's state: what its handles' snapshots give and the record's nodes are projected from. */
  fold: RunStateFold;
  firstSeq: number;
  listeners: Set<(e: RunEvent) => void>;
  /** The event streams waiting on this attempt, woken when it is detached. */
  wakers: Set<() => void>;
  cancel(): void;
  /** Settles once the attempt has finished and its record and events are stored. */
  done: Promise<RunResult>;
  /** Set once `interrupt` has checkpointed the attempt: nothing it does afterwards is stored. */
  detached: boolean;
  /** Stores the attempt's events so far and its record as interrupted, then lets it go; false when it was finishing. */
  detach(): Promise<boolean>;
}

const CHECKPOINT_MS = 2_000;
/** A running attempt writes its record at least this often, even when nothing happens (a long training poll). */
export const HEARTBEAT_MS = 20_000;
/**
 * A record left "running" that nobody wrote for this long belongs to a process that is gone; it is also how long an
 * executor's lease on its run lives past its last write (decision 0032).
 */
export const INTERRUPTED_AFTER_MS = 3 * HEARTBEAT_MS;

// Every JavaScript host has interval timers; Node's can be unref'd so a heartbeat never keeps a process alive.
const intervals = globalThis as unknown as {
  setInterval(callback: () => void, ms: number): unknown;
  clearInterval(id: unknown): void;
};

/**
 * A runtime: the engine over a durable store, with run history, resume after a crash, cancel, estimates and a node
 * catalogue. Its interface is the one the HTTP handler serves and the remote client speaks.
 *
 * @example
 * const runtime = createRuntime({ registry: createRegistry(loraPack), store: createFileStore({ dir: '.loraflow' }) });
 * const handle = await runtime.run(doc);
 * const result = await handle.result;
 * // after a crash, in a new process over the same store:
 * await (await runtime.resume(handle.runId)).result;
 */
// long because it is wiring: the runtime's methods share this closure's store, engine and active runs, and each is short (the longest, start, ~100 lines)
export function createRuntime(options: RuntimeOptions): LocalRuntime {
  checkOptions(options);
  const store = options.store ?? createMemoryStore();
  const secrets = (options.secrets ?? []).filter((s) => typeof s === 'string' && s.length >= 4);
  const redactText = createRedactor({ ...(options.redact ? { redact: options.redact } : {}), secrets });
  const now = options.now ?? Date.now;
  const createRunId = options.createRunId ?? (() => `run_${crypto.randomUUID().replaceAll('-', '')}`);
  const encoder = new TextEncoder();
  // Effect claims and run leases live in the store, shared with every process that shares it (decisions 0031, 0032).
  const claims = store.claims ?? createMemoryClaims();
  /** This runtime's name in the leases it holds: one per runtime, so two runtimes of one process are two owners. */
  const owner = `rt_${crypto.randomUUID().replaceAll('-', '')}`;
  const leaseMs = options.leaseMs ?? INTERRUPTED_AFTER_MS;
  const heartbeatMs = Math.min(HEARTBEAT_MS, Math.floor(leaseMs / 3));
  const cancelContext = { store, claims, owner, now, leaseMs };
  const leased = (record: RunRecord) => {
    record.lease = { owner, expiresAt: now() + leaseMs };
  };
  const follow = {
    getEvents: (runId: string, o: { after: number }) => store.getEvents(runId, o),
    getRun: (runId: string) => runtime.getRun(runId),
    followMs: options.followMs ?? FOLLOW_MS,
  };

  /** The store as an engine's cache, refusing blobs that hold one of `secretBytes`. */
  const guardCache = (secretBytes: Uint8Array[]): CacheStore => ({
    // A hit whose images are gone (a store copied without its blobs folder) would succeed with nothing to show.
    get: async (key) => {
      const entry = await store.get(key);
      return entry && (await blobsPresent(entry.outputs)) ? entry : undefined;
    },
    has: (key) => store.has(key),
    put: (key, entry) => store.put(key, entry),
    delete: (key) => store.delete(key),
    async putBlob(bytes, mime) {
      // Outputs and journal records are checked by the engine; bytes are the one way left for a secret to land.
      if (secretBytes.some((secret) => includesBytes(bytes, secret))) {
        throw new RuntimeError(
          RUNTIME_CODES.graphSecret,
          'A node tried to store bytes that contain a secret; they were refused.',
        );
      }
      return store.putBlob(bytes, mime);
    },
    getBlob: (hash) => store.getBlob(hash),
    // The store's synchronous capabilities pass through: without them every explain awaits one lookup per node.
    ...(store.getSync ? { getSync: store.getSync.bind(store) } : {}),
    ...(store.putFrozen ? { putFrozen: store.putFrozen.bind(store) } : {}),
    claims,
  });

  /** Whether every blob an entry's outputs point to is still in the store. */
  async function blobsPresent(outputs: Record<string, unknown>): Promise<boolean> {
    for (const hash of blobHashesIn(outputs)) {
      const present = store.hasBlob ? await store.hasBlob(hash) : (await store.getBlob(hash)) !== undefined;
      if (!present) return false;
    }
    return true;
  }

  /** An engine on the store: the runtime's own, or a tenant's (its services and secrets laid over the runtime's). */
  const buildEngine = (services: EngineOptions['services'] | undefined, engineSecrets: string[]) =>
    createEngine({
      registry: options.registry,
      cache: guardCache(engineSecrets.map((s) => encoder.encode(s))),
      journal: store,
      secrets: engineSecrets,
      ...(options.redact ? { redact: options.redact } : {}),
      ...(services !== undefined ? { services } : {}),
      ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
      ...(options.limits !== undefined ? { limits: options.limits } : {}),
      ...(options.hash !== undefined ? { hash: options.hash } : {}),
      // a claim whose holder died is taken over as soon as a run whose executor died is
      ...(options.leaseMs !== undefined ? { claimTtlMs: options.leaseMs } : {}),
      now,
    });
  const engine = buildEngine(options.services, secrets);
  const tenants = new TenantEngines(options.tenants, (services, tenantKeys) =>
    buildEngine(layServices(options.services, services), [...secrets, ...tenantKeys]),
  );
  const engineAs = (as: TenantCredentials | undefined): Engine => (as ? tenants.engineFor(as) : engine);

  const admitQuestion = createQuestionAdmission(secrets);
  // one incremental admission per tenant engine (so per tenant key set), dropped with the engine
  const hostCatalogue = createModelCatalogue(options.models ?? [], redactText);
  // a tenant's picker lists what its own keys see, never the host's account; kept as long as its engine is
  const tenantCatalogues = new WeakMap<Engine, ReturnType<typeof createModelCatalogue>>();
  const catalogueAs = (as: TenantCredentials | undefined) => {
    if (!as || !options.tenants) return hostCatalogue;
    const key = engineAs(as);
    let catalogue = tenantCatalogues.get(key);
    if (!catalogue) {
      // errors of a tenant's catalogue are redacted of its keys as well as the host's
      const redactTenant = createRedactor({
        ...(options.redact ? { redact: options.redact } : {}),
        secrets: [...secrets, ...tenantSecrets(as)],
      });
      catalogue = createModelCatalogue(
        // the clients the tenant's engine runs on, not a second set built for the picker
        options.tenants.models?.(tenants.servicesFor(as)) ?? [],
        redactTenant,
      );
      tenantCatalogues.set(key, catalogue);
    }
    return catalogue;
  };
  const tenantAdmissions = new WeakMap<Engine, (input: unknown) => Admission>();
  const questionAdmission = (as: TenantCredentials | undefined) => {
    if (!as) return admitQuestion;
    const key = engineAs(as);
    let admission = tenantAdmissions.get(key);
    if (!admission) {
      admission = createQuestionAdmission([...secrets, ...tenantSecrets(as)]);
      tenantAdmissions.set(key, admission);
    }
    return admission;
  };
  const active = new Map<string, ActiveRun>();
  /** Runs being resumed here whose attempt is not active yet (its record is being stored). */
  const resuming = new Set<string>();
  let stopping = false;
  let lastCreatedAt = 0;

  function refuseWhenStopping(): void {
    if (stopping) {
      throw new RuntimeError(
        RUNTIME_CODES.runtimeStopping,
        'The runtime is shutting down; start the run again once it is back.',
      );
    }
  }

  function redactJson<T>(value: T): T {
    return secrets.length === 0 && !options.redact ? value : redactValue(value, redactText);
  }

  /**
   * Loads and validates a document, refusing it as a RuntimeError carrying every issue. For questions
   * (explain, estimate) the input itself comes back when it is already exact, so the engine's kept
   * analysis sees an editor's untouched nodes; a run gets its own copy, which the host cannot change.
   */
  function admit(
    input: unknown,
    use: 'question' | 'run' = 'question',
    as?: TenantCredentials,
  ): GraphDocument {
    // a question walks only the parts it has not admitted before (same verdict, decision 0047); a tenant's keys
    // are secrets of its runs as the host's are
    const loaded = use === 'question' ? questionAdmission(as)(input) : admitRun(input, as);
    if (!loaded.ok && !loaded.refused) throw invalid(loaded.issues);
    if (!loaded.ok) {
      throw new RuntimeError(
        RUNTIME_CODES.graphSecret,
        'The graph contains a configured secret; secrets belong in the runtime configuration, never in a graph.',
      );
    }
    return loaded.value;
  }

  function admitRun(input: unknown, as?: TenantCredentials): Admission {
    const loaded = loadDocument(input);
    if (!loaded.ok) return loaded;
    const refused = as ? [...secrets, ...tenantSecrets(as)] : secrets;
    if (refused.length > 0 && containsSecret(canonicalJson(loaded.value), refused))
      return { ok: false, issues: [], refused: true };
    return loaded;
  }

  /** Calls the engine, which checks the graph's meaning itself (once: analysing a big graph is not free). */
  async function checked<T>(call: () => T | Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof GraphError) throw invalid(error.issues);
      throw error;
    }
  }

  function invalid(issues: GraphError['issues']): RuntimeError {
    const first = issues[0];
    return new RuntimeError(
      RUNTIME_CODES.graphInvalid,
      `The graph has ${issues.length} problem${issues.length === 1 ? '' : 's'}${first ? `; the first: ${first.message}` : ''}`,
      redactJson(issues),
    );
  }

  /** The attempt's first record; a store that cannot take it refuses the run (`store.unavailable`). */
  async function storeFirstRecord(record: RunRecord): Promise<void> {
    try {
      await store.putRun(structuredClone(record));
    } catch (error) {
      // an errno says enough and its message would carry the store's paths to HTTP callers
      const code = (error as { code?: unknown })?.code;
      const detail =
        typeof code === 'string' ? code : redactText(error instanceof Error ? error.message : String(error));
      throw new RuntimeError(
        RUNTIME_CODES.storeUnavailable,
        `The run could not be recorded in the store (${detail}), so it was not started.`,
      );
    }
  }

  /** Validated already, so only a target or a node's cache policy is left to refuse: the record says so. */
  async function refusedByPlan(record: RunRecord, error: unknown): Promise<unknown> {
    const refused = error instanceof GraphError ? invalid(error.issues) : error;
    const message = refused instanceof Error ? refused.message : String(refused);
    await store
      .putRun({
        ...record,
        status: 'failed',
        finishedAt: now(),
        updatedAt: now(),
        error: { code: RUNTIME_CODES.graphInvalid, message: redactText(message) },
      })
      .catch(() => {});
    return refused;
  }

  /**
   * Starts an attempt. Whatever the engine would refuse is refused before the record exists, and the record is
   * (long because the attempt's closures — write chain, lease fencing, heartbeat, detach, finish — share its record
   * and sequence number; each is under 30 lines.)
   * stored before the engine runs: no node (no provider call) ever starts for a run the store does not know.
   */
  async function start(
    record: RunRecord,
    lastSeq: number,
    signal: AbortSignal | undefined,
    refresh?: string[] | 'all',
    runEngine: Engine = engine,
  ): Promise<ActiveRun> {
    const verdict = runEngine.validate(record.doc);
    if (!verdict.ok) throw invalid(verdict.issues);
    // the first record carries this process's lease: from now on no other process takes the run up
    leased(record);
    await storeFirstRecord(record);
    const controller = new AbortController();
    const onAbort = () => controller.abort(signal?.reason);
    if (signal?.aborted) controller.abort(signal.reason);
    else signal?.addEventListener('abort', onAbort, { once: true });
    let handle: ReturnType<Engine['run']>;
    try {
      handle = runEngine.run(record.doc, {
        runId: record.runId,
        signal: controller.signal,
        ...(record.targets ? { targets: record.targets } : {}),
        ...(refresh ? { refresh } : {}),
      });
    } catch (error) {
      signal?.removeEventListener('abort', onAbort);
      throw await refusedByPlan(record, error);
    }
    const run: ActiveRun = {
      runId: record.runId,
      record,
      log: [],
      fold: createRunStateFold(initialRunState(record.runId, record.startedAt)),
      firstSeq: lastSeq + 1,
      listeners: new Set(),
      wakers: new Set(),
      cancel: () => handle.cancel(),
      done: undefined as unknown as Promise<RunResult>,
      detached: false,
      detach: undefined as unknown as () => Promise<boolean>,
    };
    let seq = lastSeq;
    let pending: RunEvent[] = [];
    // A failed write must not stop the writes after it; the first failure is kept and surfaces in the result.
    let writeError: unknown;
    const keep = (error: unknown) => {
      writeError ??= error;
    };
    // Set when another process took the run over (this one stalled past its lease): it writes nothing more.
    let fenced = false;
    const write = (work: () => Promise<void>) => {
      flushing = flushing.then(() => (fenced ? undefined : work())).catch(keep);
    };
    let cancelNoticed = false;
    /** Acts on a cancel another process asked for, once: as a local cancel, so the engine's own cancel path runs. */
    const noticeCancel = (requestedAt: number | undefined) => {
      if (requestedAt === undefined || cancelNoticed) return;
      cancelNoticed = true;
      record.cancelRequestedAt = requestedAt;
      handle.cancel();
    };
    /**
     * Writes the record unless the stored one names another lease owner: then this attempt is fenced off. A cancel
     * another process asked for (`cancelRequestedAt`) is read here, so it is acted on within a checkpoint or a beat.
     */
    const putFenced = async (copy: RunRecord, claimed = true) => {
      const written = await writeFenced(cancelContext, copy, claimed);
      if (written.fenced) fenced = true;
      else noticeCancel(written.cancelRequestedAt);
    };
    let flushing: Promise<void> = Promise.resolve();
    let lastCheckpoint = now();
    const flush = () => {
      const batch = pending;
      pending = [];
      if (batch.length > 0) write(() => store.appendEvents(record.runId, batch));
      return flushing;
    };
    handle.subscribe((raw) => {
      // a detached attempt is over for the store: what its engine still does is redone by the resume
      if (run.detached) return;
      const event = redactJson({ ...raw, seq: ++seq, runId: record.runId }) as RunEvent;
      run.log.push(event);
      record.lastSeq = seq;
      run.fold.apply(event);
      applyToRecord(record, event, run.fold);
      pending.push(event);
      if (pending.length === 1) queueMicrotask(flush);
      if (event.type !== 'run.finished' && now() - lastCheckpoint > CHECKPOINT_MS) {
        lastCheckpoint = now();
        leased(record);
        const copy = structuredClone(record);
        write(() => putFenced(copy));
      }
      for (const listener of run.listeners) {
        try {
          listener(event);
        } catch {
          // A throwing subscriber must not break the run or the other subscribers.
        }
      }
    });
    // While the attempt runs, its record is rewritten now and then even without events, so another
    // process can tell a live run from one whose process died (see INTERRUPTED_AFTER_MS).
    // Every write of the record first checks the stored lease is still this runtime's (putFenced).
    // Between beats of an idle attempt, a read of the record every CANCEL_WATCH_MS catches a cancel asked elsewhere.
    const tickMs = Math.min(heartbeatMs, CANCEL_WATCH_MS);
    const heartbeat = intervals.setInterval(() => {
      if (run.detached || now() - lastCheckpoint < tickMs) return;
      if (now() - lastCheckpoint < heartbeatMs) {
        if (!cancelNoticed) write(async () => noticeCancel(await pendingCancel(cancelContext, record.runId)));
        return;
      }
      lastCheckpoint = now();
      record.updatedAt = lastCheckpoint;
      leased(record);
      const copy = structuredClone(record);
      write(() => putFenced(copy));
    }, tickMs);
    (heartbeat as { unref?: () => void }).unref?.();
    const release = () => {
      if (active.get(record.runId) === run) active.delete(record.runId);
      run.listeners.clear();
      // the event streams of a detached attempt end, instead of waiting for events it will never send
      for (const wake of run.wakers) wake();
    };
    let finishing = false;
    run.detach = async () => {
      // an attempt whose engine has finished is only storing its outcome: that is awaited, not interrupted
      if (finishing) {
        await run.done.catch(() => {});
        return false;
      }
      if (run.detached) return false;
      run.detached = true;
      intervals.clearInterval(heartbeat);
      signal?.removeEventListener('abort', onAbort);
      await flush();
      record.interrupted = true;
      record.updatedAt = now();
      // stopped on purpose: the next process may resume it at once, without waiting for a lease to lapse
      delete record.lease;
      try {
        // fenced: keeps a cancel request written since the last beat, and writes nothing over another's take-over
        await writeFenced(cancelContext, structuredClone(record));
      } finally {
        release();
      }
      return true;
    };
    run.done = handle.result.then(async (raw) => {
      finishing = !run.detached;
      intervals.clearInterval(heartbeat);
      signal?.removeEventListener('abort', onAbort);
      const result = redactJson(raw);
      // interrupted: the stored record stays as the checkpoint left it, for the resume
      if (run.detached) return result;
      record.status = result.status;
      record.finishedAt = result.finishedAt;
      record.updatedAt = now();
      for (const [nodeId, outcome] of Object.entries(result.nodes))
        setOwn(record.nodes, nodeId, nodeRecord(outcome));
      // a finished run is nobody's: its record carries no lease
      delete record.lease;
      try {
        flush();
        // a request arriving now changes nothing: the run has ended, so its last write takes no claim
        write(() => putFenced(record, false));
        await flushing;
      } finally {
        release();
      }
      if (fenced)
        throw new RuntimeError(
          RUNTIME_CODES.runLeaseLost,
          `The run "${record.runId}" was taken over by another process after this one stalled past its lease; this attempt's end was not recorded.`,
        );
      if (writeError !== undefined) throw writeError;
      return result;
    });
    // Marked handled here; whoever awaits the result still sees a rejection (a store that failed to write).
    run.done.catch(() => {});
    active.set(record.runId, run);
    // a request its last executor never acted on is acted on now, before any node of this attempt calls a provider
    noticeCancel(record.cancelRequestedAt);
    return run;
  }

  function handleOf(run: ActiveRun): RuntimeRunHandle {
    return {
      runId: run.runId,
      after: run.firstSeq - 1,
      result: run.done,
      cancel: run.cancel,
      subscribe(listener) {
        for (const event of run.log) listener(event);
        if (run.log.at(-1)?.type === 'run.finished') return () => {};
        run.listeners.add(listener);
        return () => {
          run.listeners.delete(listener);
        };
      },
      getSnapshot: run.fold.getSnapshot,
    };
  }

  async function existing(runId: string): Promise<RunRecord> {
    const record = typeof runId === 'string' ? await store.getRun(runId) : undefined;
    if (!record)
      throw new RuntimeError(RUNTIME_CODES.runNotFound, `There is no run "${String(runId)}" in this store.`);
    return record;
  }

  /** A new run handed to `dispatch`: stored queued (`attempts: 0`, no lease), then queued; its handle follows the store. */
  async function queue(
    record: RunRecord,
    dispatch: (runId: string) => Promise<void>,
    use: Engine,
    refresh: string[] | 'all' | undefined,
  ) {
    const verdict = use.validate(record.doc);
    if (!verdict.ok) throw invalid(verdict.issues);
    // an unknown target is told to the caller now, not found by a worker later
    await checked(() => use.plan(record.doc, record.targets ? { targets: record.targets } : {}));
    record.attempts = 0;
    if (refresh !== undefined) record.refresh = refresh === 'all' ? 'all' : [...refresh];
    await storeFirstRecord(record);
    try {
      await dispatch(record.runId);
    } catch (error) {
      const refused = new RuntimeError(
        RUNTIME_CODES.storeUnavailable,
        `The run could not be queued (${redactText(error instanceof Error ? error.message : String(error))}), so it was not started.`,
      );
      const at = now();
      const error_ = { code: refused.code, message: refused.message };
      await store
        .putRun({ ...record, status: 'failed', finishedAt: at, updatedAt: at, error: error_ })
        .catch(() => {});
      throw refused;
    }
    return followedHandle(follow, record.runId, 0, () => runtime.cancel(record.runId).catch(() => {}));
  }

  /** The services a stored run's nodes had: the host's, or its tenant's (found again as a resume finds them). */
  async function servicesOfRun(record: RunRecord, as: TenantCredentials | undefined) {
    let services: Record<string, unknown> | Map<string, unknown> | undefined = options.services;
    if (record.tenant !== undefined) {
      try {
        services = tenants.servicesFor(await tenants.credentialsForRun(record.runId, record.tenant, as));
      } catch (error) {
        return error instanceof Error ? error.message : String(error);
      }
    }
    const map = services instanceof Map ? services : new Map(Object.entries(services ?? {}));
    return { get: <T>(name: string) => map.get(name) as T | undefined };
  }

  /**
   * Closes a run whose executor died, held under this runtime's lease: what its side-effect steps started at the
   * provider is stopped from the journal (the node types' stoppers), said in its events, and then it is cancelled.
   */
  async function closeOrphan(stale: RunRecord, as: TenantCredentials | undefined): Promise<void> {
    // the dead executor's record is its last checkpoint: its nodes are caught up from the events it stored since
    const record = structuredClone(stale);
    const fold = createRunStateFold(initialRunState(record.runId, record.startedAt));
    for (const event of await store.getEvents(record.runId)) {
      fold.apply(event);
      if (event.seq <= stale.lastSeq) continue;
      applyToRecord(record, event, fold);
      record.lastSeq = event.seq;
    }
    const redact =
      as && record.tenant === as.tenant
        ? createRedactor({
            ...(options.redact ? { redact: options.redact } : {}),
            secrets: [...secrets, ...tenantSecrets(as)],
          })
        : redactText;
    // stoppers may take longer than a lease (30 s each): it is renewed meanwhile, so no worker takes the run up mid-stop
    let renewing: Promise<unknown> = Promise.resolve();
    const beat = intervals.setInterval(() => {
      const at = now();
      const renewed = { ...stale, lease: { owner, expiresAt: at + leaseMs }, updatedAt: at };
      renewing = renewing.then(() => writeFenced(cancelContext, renewed)).catch(() => {});
    }, heartbeatMs);
    let closing: Awaited<ReturnType<typeof orphanClosing>>;
    try {
      closing = await orphanClosing(
        {
          listRecords: (id) => store.listRecords(id),
          sideEffects: (type) => options.registry.get(type)?.sideEffects === true,
          stoppers: options.stoppers ?? {},
          services: (r) => servicesOfRun(r, as),
          redact,
          now,
          claims,
        },
        record,
        record.lastSeq,
      );
    } finally {
      intervals.clearInterval(beat);
      // a renewal in flight must not land over the closed record
      await renewing;
    }
    const { events, nodes } = closing;
    // stopping took longer than the lease and a worker took the run up: its attempt acts on the request instead
    if ((await store.getRun(record.runId))?.lease?.owner !== owner) return;
    await store.appendEvents(record.runId, events);
    const at = now();
    const { lease: _, ...rest } = record;
    const closed: RunRecord = {
      ...rest,
      nodes,
      status: 'cancelled',
      finishedAt: at,
      updatedAt: at,
      lastSeq: events.at(-1)!.seq,
    };
    // fenced: should this process have stalled past its lease and a worker taken the run up, the worker's record stands
    await writeFenced(cancelContext, closed, false);
  }

  async function lastStoredSeq(record: RunRecord): Promise<number> {
    // A crash can land between appending events and rewriting the record: the log is the truth.
    const events = await store.getEvents(record.runId, { after: record.lastSeq });
    return events.reduce((max, e) => Math.max(max, e.seq), record.lastSeq);
  }

  const runtime: LocalRuntime & TenantAware = {
    models: (query?: ModelQuery, as?: TenantCredentials) => catalogueAs(as).models(query),
    modelThumbnail: (ref: string, as?: TenantCredentials) => catalogueAs(as).modelThumbnail(ref),
    async catalogue() {
      return buildCatalogue(options.registry);
    },

    async validate(doc) {
      const loaded = loadDocument(doc, { keepIdentity: true });
      if (!loaded.ok) return { ok: false, issues: redactJson(loaded.issues) };
      const checked = engine.validate(loaded.value);
      return { ok: checked.ok, issues: redactJson(checked.issues) };
    },

    async explain(doc: GraphDocument, o: { targets?: string[] } = {}, as?: TenantCredentials) {
      checkTargets(o.targets);
      const admitted = admit(doc, 'question', as);
      const use = engineAs(as);
      return redactJson(await checked(() => use.explain(admitted, o.targets ? { targets: o.targets } : {})));
    },

    async estimate(doc: GraphDocument, o: { targets?: string[] } = {}, as?: TenantCredentials) {
      checkTargets(o.targets);
      const admitted = admit(doc, 'question', as);
      const use = engineAs(as);
      // the engine's estimate: hooks see params and settings parsed as run sees them (and the services)
      const nodes: NodeEstimate[] = await checked(() =>
        use.estimate(admitted, o.targets ? { targets: o.targets } : {}),
      );
      const totals: Record<string, number> = {};
      let willRun = 0;
      let unknownCosts = 0;
      // one pass: the editor asks this after every keystroke
      for (const n of nodes) {
        if (n.willRun) willRun++;
        if (n.costUnknown || n.costError) unknownCosts++;
        if (n.cost) totals[n.cost.unit] = (totals[n.cost.unit] ?? 0) + n.cost.amount;
      }
      const estimate: RunEstimate = {
        nodes,
        totals,
        willRun,
        fromCache: nodes.length - willRun,
        unknownCosts,
      };
      return redactJson(estimate);
    },

    async run(doc: GraphDocument, o: Parameters<LocalRuntime['run']>[1] = {}, as?: TenantCredentials) {
      refuseWhenStopping();
      checkTargets(o.targets);
      const admitted = admit(doc, 'run', as);
      const use = engineAs(as);
      // Strictly increasing, so the history's newest-first order holds for runs started in the same millisecond.
      const at = Math.max(now(), lastCreatedAt + 1);
      lastCreatedAt = at;
      const record: RunRecord = {
        runId: createRunId(),
        doc: admitted,
        status: 'running',
        createdAt: at,
        startedAt: at,
        updatedAt: at,
        attempts: 1,
        nodes: {},
        lastSeq: 0,
      };
      if (o.targets) record.targets = [...o.targets];
      if (as) record.tenant = as.tenant;
      checkRefresh(o.refresh);
      if (options.dispatch) return queue(record, options.dispatch, use, o.refresh);
      return handleOf(await start(record, 0, o.signal, o.refresh, use));
    },

    async resume(runId: string, o: Parameters<LocalRuntime['resume']>[1] = {}, as?: TenantCredentials) {
      refuseWhenStopping();
      if (active.has(runId) || resuming.has(runId)) {
        throw new RuntimeError(
          RUNTIME_CODES.runActive,
          `The run "${runId}" is still going here; it cannot be resumed twice.`,
        );
      }
      resuming.add(runId);
      try {
        // Read, checked and rewritten under the run's take-up claim: of two processes resuming at once, one does.
        const taken = await whileTakingUp(claims, runId, owner, async () => {
          const record = await existing(runId);
          // another tenant's run is absent for this one, not forbidden: its existence is not told
          if (as !== undefined && record.tenant !== as.tenant)
            throw new RuntimeError(RUNTIME_CODES.runNotFound, `There is no run "${runId}" in this store.`);
          if (record.lease !== undefined && executorAlive(record, now(), leaseMs))
            throw activeElsewhere(runId, record);
          // read under the claim a cancel also takes: a run cancelled after the worker looked is not started again
          if (o.unlessEnded && record.status !== 'running') {
            throw new RuntimeError(
              RUNTIME_CODES.runEnded,
              `The run "${runId}" has ended (${record.status}) since it was queued; it is not taken up again.`,
            );
          }
          admit(record.doc);
          const use = record.tenant === undefined ? engine : await tenants.forRun(runId, record.tenant, as);
          const lastSeq = await lastStoredSeq(record);
          if (options.dispatch) {
            // queued again, for a worker to take up; an ended run is stored queued (running, no lease), since a worker
            // skips a job whose run has ended (it was cancelled while queued) and would leave this resume undone
            if (record.status !== 'running') {
              const {
                finishedAt: _,
                error: __,
                interrupted: ___,
                lease: ____,
                cancelRequestedAt: _____,
                ...rest
              } = record;
              await store.putRun({ ...rest, status: 'running', updatedAt: now(), lastSeq });
            }
            return { dispatched: lastSeq };
          }
          const { finishedAt: _, error: __, interrupted: ___, lease: ____, refresh, ...rest } = record;
          // a request to cancel outlives its executor only while the run is unfinished: the next attempt acts on it
          if (record.status !== 'running') delete rest.cancelRequestedAt;
          const at = now();
          const next: RunRecord = {
            ...rest,
            status: 'running',
            attempts: record.attempts + 1,
            startedAt: at,
            updatedAt: at,
            lastSeq,
          };
          // a queued run's refresh applies to its first attempt only
          return start(next, lastSeq, o.signal, record.attempts === 0 ? refresh : undefined, use);
        });
        if (!taken) {
          throw new RuntimeError(
            RUNTIME_CODES.runActive,
            `The run "${runId}" is being taken up by another process right now; it cannot be resumed twice.`,
          );
        }
        const value = taken.value;
        if ('dispatched' in value) {
          await options.dispatch!(runId);
          return followedHandle(follow, runId, value.dispatched, () => runtime.cancel(runId).catch(() => {}));
        }
        return handleOf(value);
      } finally {
        resuming.delete(runId);
      }
    },

    async interrupt() {
      stopping = true;
      const runs = [...active.values()];
      const detached = await Promise.all(runs.map((run) => run.detach()));
      return runs.filter((_, i) => detached[i]).map((run) => run.runId);
    },

    async cancel(runId: string, as?: TenantCredentials) {
      const run = active.get(runId);
      if (run) {
        run.cancel();
        await run.done;
        return;
      }
      // executed elsewhere: a request its executor acts on; queued: closed here; orphaned: its provider work is
      // stopped from the journal, then it is closed here (decision 0032)
      await requestCancel(cancelContext, runId, (record) => closeOrphan(record, as));
    },

    async getRun(runId) {
      const run = active.get(runId);
      if (run) return structuredClone(run.record);
      const record = await store.getRun(runId);
      return record && flagInterrupted(await caughtUp(record));
    },

    async listRuns(o: { limit?: number; tenant?: string } = {}) {
      const records = await store.listRuns({
        ...(o.limit !== undefined ? { limit: o.limit } : {}),
        ...(o.tenant !== undefined ? { tenant: o.tenant } : {}),
      });
      return Promise.all(
        records.map(async (r) =>
          active.has(r.runId)
            ? structuredClone(active.get(r.runId)!.record)
            : flagInterrupted(await caughtUp(r)),
        ),
      );
    },

    events(runId, o = {}) {
      return streamEvents(runId, o.after ?? 0, o.signal);
    },

    getBlob(hash) {
      return store.getBlob(hash);
    },

    forTenant(credentials) {
      return tenantRuntime(runtime, parseTenantCredentials(credentials), tenants.serving());
    },
  };

  async function* streamEvents(
    runId: string,
    after: number,
    signal: AbortSignal | undefined,
  ): AsyncGenerator<RunEvent> {
    const run = active.get(runId);
    if (!run && options.dispatch) {
      await existing(runId);
      yield* followStored(follow, runId, after, signal);
      return;
    }
    if (!run) {
      await existing(runId);
      for (const event of await store.getEvents(runId, { after })) {
        if (signal?.aborted) return;
        yield event;
      }
      return;
    }
    let wake: (() => void) | undefined;
    const onEvent = () => wake?.();
    run.listeners.add(onEvent);
    run.wakers.add(onEvent);
    signal?.addEventListener('abort', onEvent);
    try {
      let last = after;
      if (last < run.firstSeq - 1) {
        // Earlier attempts were fully stored before this one started.
        for (const event of await store.getEvents(runId, { after: last })) {
          if (event.seq >= run.firstSeq) break;
          if (signal?.aborted) return;
          yield event;
          last = event.seq;
        }
      }
      let index = Math.max(0, last - run.firstSeq + 1);
      for (;;) {
        while (index < run.log.length) {
          const event = run.log[index++]!;
          if (signal?.aborted) return;
          yield event;
          if (event.type === 'run.finished') return;
        }
        // A reader that has already seen this attempt's end must not wait for events that will never come.
        if (signal?.aborted || run.detached || run.log.at(-1)?.type === 'run.finished') return;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
      }
    } finally {
      run.listeners.delete(onEvent);
      run.wakers.delete(onEvent);
      signal?.removeEventListener('abort', onEvent);
    }
  }

  /**
   * A stored record as its event log tells it. Events are appended before the record is rewritten, so a crash
   * between the two leaves events the record has not seen (a run.finished among them): they are applied here, and
   * the record and its events never disagree about the outcome.
   */
  async function caughtUp(record: RunRecord): Promise<RunRecord> {
    if (record.status !== 'running') return record;
    const tail = await store.getEvents(record.runId, { after: record.lastSeq });
    // a run still going (here or in another process) shows its last checkpoint; only an ending is caught up
    if (!tail.some((e) => e.type === 'run.finished')) return record;
    const next = structuredClone(record);
    const fold = createRunStateFold(initialRunState(record.runId, record.startedAt));
    for (const event of await store.getEvents(record.runId, { after: 0 })) {
      fold.apply(event);
      if (event.seq <= record.lastSeq) continue;
      applyToRecord(next, event, fold);
      next.lastSeq = Math.max(next.lastSeq, event.seq);
      if (event.type === 'run.finished') {
        next.status = event.status;
        next.finishedAt = event.at;
        delete next.lease;
        delete next.interrupted;
      }
    }
    // whether an executor still lives is the record's heartbeat and lease, not when it last emitted an event
    if (next.status === 'running') next.updatedAt = record.updatedAt;
    return next;
  }

  /**
   * A record "running" in no live process: nothing wrote it for longer than a heartbeat allows (a crash), or the
   * process that ran it stored it as interrupted on its way down (a shutdown: it knew).
   */
  function flagInterrupted(record: RunRecord): RunRecord {
    if (record.status !== 'running' || record.interrupted) return record;
    // queued (decision 0033): no attempt has started, so none was interrupted
    if (record.attempts === 0) return record;
    if (executorAlive(record, now(), leaseMs)) return record;
    return { ...record, interrupted: true };
  }

  if (options.tenants) servesTenants(runtime, true);
  return runtime;
}

const optionsSchema = z.looseObject({
  registry: z.looseObject({ get: z.function(), nodes: z.function(), packs: z.function() }),
  store: z
    .looseObject({ putRun: z.function(), getRun: z.function(), getRecord: z.function(), put: z.function() })
    .optional(),
  concurrency: z.number().int().min(1).optional(),
  limits: z.record(z.string(), z.number().int().min(1)).optional(),
  secrets: z.array(z.string()).optional(),
  leaseMs: z.number().int().min(30).optional(),
  dispatch: z.function().optional(),
  followMs: z.number().int().min(1).optional(),
  models: z.array(z.looseObject({ provider: z.string().min(1), list: z.function() })).optional(),
});

/** Misuse throws one sentence naming the option, before anything is created. */
function checkOptions(options: unknown): void {
  const result = optionsSchema.safeParse(options);
  if (result.success) return;
  const issue = result.error.issues[0]!;
  const at = issue.path.join('.') || 'options';
  throw new TypeError(`createRuntime: ${at} is not what it should be (${issue.message}).`);
}

function checkTargets(targets: unknown): void {
  if (targets === undefined) return;
  const result = z.array(z.string().min(1)).safeParse(targets);
  if (!result.success) {
    throw new RuntimeError(
      RUNTIME_CODES.requestInvalid,
      'targets must be a list of node ids (non-empty strings).',
      [
        {
          path: ['targets'],
          code: RUNTIME_CODES.requestInvalid,
          message: 'targets must be a list of node ids.',
        },
      ],
    );
  }
}

function checkRefresh(refresh: unknown): void {
  if (refresh === undefined || refresh === 'all') return;
  if (!z.array(z.string().min(1)).safeParse(refresh).success) {
    throw new RuntimeError(
      RUNTIME_CODES.requestInvalid,
      "refresh must be a list of node ids (non-empty strings) or 'all'.",
      [
        {
          path: ['refresh'],
          code: RUNTIME_CODES.requestInvalid,
          message: "refresh must be node ids or 'all'.",
        },
      ],
    );
  }
}

/** Keeps the record's nodes on the attempt's fold: each node an event moved is projected again. */
function applyToRecord(record: RunRecord, event: RunEvent, fold: RunStateFold): void {
  record.updatedAt = event.at;
  if (event.type === 'run.started') {
    // nodes of an earlier attempt that this one does not plan keep their record
    for (const id of event.nodeIds) setOwn(record.nodes, id, nodeRecord(fold.node(id)!));
  } else if ('nodeId' in event && event.type !== 'node.log') {
    setOwn(record.nodes, event.nodeId, nodeRecord(fold.node(event.nodeId)!));
  }
}

/**
 * A node's state (from the fold, or its outcome in the result) as the record keeps it: no progress, and
 * outputs only when they are JSON (the record is stored; blob refs are JSON, live values may not be).
 */
function nodeRecord(state: Readonly<NodeRunState> | NodeOutcome): NodeRecord {
  const node: NodeRecord = { status: state.status, key: state.key };
  // the record shows outputs as they arrive, so a host reading it mid-run sees finished nodes' images
  if (state.outputs && isJsonValue(state.outputs)) node.outputs = state.outputs as Record<string, JsonValue>;
  if (state.error) node.error = state.error;
  if (state.because !== undefined) node.because = state.because;
  return node;
}

function includesBytes(haystack: Uint8Array, needle: Uint8Array): boolean {
  if (needle.length === 0 || needle.length > haystack.length) return false;
  const first = needle[0];
  outer: for (
    let i = haystack.indexOf(first!);
    i !== -1 && i <= haystack.length - needle.length;
    i = haystack.indexOf(first!, i + 1)
  ) {
    for (let j = 1; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}
