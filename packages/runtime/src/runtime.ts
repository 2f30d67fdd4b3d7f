import {
  type AnyNodeDefinition,
  type CacheStore,
  canonicalJson,
  containsSecret,
  createEngine,
  createMemoryClaims,
  createRedactor,
  createRunStateFold,
  type EngineOptions,
  type GraphDocument,
  type GraphEdge,
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
} from '@loraflow/core';
import { z } from 'zod';
import { buildCatalogue } from './catalogue';
import { RUNTIME_CODES, RuntimeError } from './errors';
import { activeElsewhere, executorAlive, whileTakingUp } from './run-lease';
import { createMemoryStore } from './store/memory';
import type { NodeRecord, RunRecord, RuntimeStore } from './store/types';
import type { NodeEstimate, RunEstimate, Runtime, RuntimeRunHandle } from './types';

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
  concurrency?: number;
  limits?: Record<string, number>;
  /** Strings (4+ characters) that must never reach the store, an event or an error: API keys and the like. */
  secrets?: readonly string[];
  /** Applied to every log line, event message and error message, before the secrets are. */
  redact?: (text: string) => string;
  hash?: HashFn;
  now?: () => number;
  createRunId?: () => string;
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
  cancel(): void;
  /** Settles once the attempt has finished and its record and events are stored. */
  done: Promise<RunResult>;
  /** Settles once the attempt's first record is stored. */
  stored: Promise<void>;
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
export function createRuntime(options: RuntimeOptions): Runtime {
  checkOptions(options);
  const store = options.store ?? createMemoryStore();
  const secrets = (options.secrets ?? []).filter((s) => typeof s === 'string' && s.length >= 4);
  const redactText = createRedactor({ ...(options.redact ? { redact: options.redact } : {}), secrets });
  const now = options.now ?? Date.now;
  const createRunId = options.createRunId ?? (() => `run_${crypto.randomUUID().replaceAll('-', '')}`);
  const encoder = new TextEncoder();
  const secretBytes = secrets.map((s) => encoder.encode(s));
  // Effect claims and run leases live in the store, shared with every process that shares it (decisions 0031, 0032).
  const claims = store.claims ?? createMemoryClaims();
  /** This runtime's name in the leases it holds: one per runtime, so two runtimes of one process are two owners. */
  const owner = `rt_${crypto.randomUUID().replaceAll('-', '')}`;
  const leased = (record: RunRecord) => {
    record.lease = { owner, expiresAt: now() + INTERRUPTED_AFTER_MS };
  };

  const guardedCache: CacheStore = {
    get: (key) => store.get(key),
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
    claims,
  };

  const engine = createEngine({
    registry: options.registry,
    cache: guardedCache,
    journal: store,
    secrets,
    ...(options.redact ? { redact: options.redact } : {}),
    ...(options.services !== undefined ? { services: options.services } : {}),
    ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
    ...(options.limits !== undefined ? { limits: options.limits } : {}),
    ...(options.hash !== undefined ? { hash: options.hash } : {}),
    now,
  });

  const active = new Map<string, ActiveRun>();
  let lastCreatedAt = 0;

  function redactJson<T>(value: T): T {
    if (secrets.length === 0 && !options.redact) return value;
    const walk = (v: unknown): unknown => {
      if (typeof v === 'string') return redactText(v);
      if (Array.isArray(v)) return v.map(walk);
      if (v !== null && typeof v === 'object') {
        const out: Record<string, unknown> = {};
        for (const [k, inner] of Object.entries(v)) out[k] = walk(inner);
        return out;
      }
      return v;
    };
    return walk(value) as T;
  }

  /** Loads and validates a document, refusing it as a RuntimeError carrying every issue. */
  function admit(input: unknown): GraphDocument {
    const loaded = loadDocument(input);
    if (!loaded.ok) throw invalid(loaded.issues);
    if (secrets.length > 0 && containsSecret(canonicalJson(loaded.value), secrets)) {
      throw new RuntimeError(
        RUNTIME_CODES.graphSecret,
        'The graph contains a configured secret; secrets belong in the runtime configuration, never in a graph.',
      );
    }
    return loaded.value;
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

  function start(record: RunRecord, lastSeq: number, signal: AbortSignal | undefined): ActiveRun {
    const controller = new AbortController();
    const onAbort = () => controller.abort(signal?.reason);
    if (signal?.aborted) controller.abort(signal.reason);
    else signal?.addEventListener('abort', onAbort, { once: true });
    let handle: ReturnType<typeof engine.run>;
    try {
      handle = engine.run(record.doc, {
        runId: record.runId,
        signal: controller.signal,
        ...(record.targets ? { targets: record.targets } : {}),
      });
    } catch (error) {
      signal?.removeEventListener('abort', onAbort);
      if (error instanceof GraphError) throw invalid(error.issues);
      throw error;
    }
    // The record goes first in the write chain, so no later write of this run can overtake it.
    leased(record);
    const stored = store.putRun(structuredClone(record));
    const run: ActiveRun = {
      runId: record.runId,
      record,
      log: [],
      fold: createRunStateFold(initialRunState(record.runId, record.startedAt)),
      firstSeq: lastSeq + 1,
      listeners: new Set(),
      cancel: () => handle.cancel(),
      done: undefined as unknown as Promise<RunResult>,
      stored,
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
    /** Writes the record unless the stored one names another lease owner: then this attempt is fenced off. */
    const putFenced = async (copy: RunRecord) => {
      const stored = await store.getRun(copy.runId);
      if (stored?.lease !== undefined && stored.lease.owner !== owner) fenced = true;
      else await store.putRun(copy);
    };
    let flushing: Promise<void> = stored.catch(() => {});
    let lastCheckpoint = now();
    const flush = () => {
      const batch = pending;
      pending = [];
      if (batch.length > 0) write(() => store.appendEvents(record.runId, batch));
      return flushing;
    };
    handle.subscribe((raw) => {
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
    const heartbeat = intervals.setInterval(() => {
      if (now() - lastCheckpoint < HEARTBEAT_MS) return;
      lastCheckpoint = now();
      record.updatedAt = lastCheckpoint;
      leased(record);
      const copy = structuredClone(record);
      write(() => putFenced(copy));
    }, HEARTBEAT_MS);
    (heartbeat as { unref?: () => void }).unref?.();
    run.done = handle.result.then(async (raw) => {
      intervals.clearInterval(heartbeat);
      signal?.removeEventListener('abort', onAbort);
      const result = redactJson(raw);
      record.status = result.status;
      record.finishedAt = result.finishedAt;
      record.updatedAt = now();
      for (const [nodeId, outcome] of Object.entries(result.nodes))
        record.nodes[nodeId] = nodeRecord(outcome);
      // a finished run is nobody's: its record carries no lease
      delete record.lease;
      try {
        flush();
        write(() => putFenced(record));
        await flushing;
      } finally {
        active.delete(record.runId);
        run.listeners.clear();
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

  /** Waits for the attempt's first record; a store that cannot take it stops the run rather than run unrecorded. */
  async function started(run: ActiveRun): Promise<ActiveRun> {
    try {
      await run.stored;
    } catch (error) {
      run.cancel();
      throw error;
    }
    return run;
  }

  async function existing(runId: string): Promise<RunRecord> {
    const record = typeof runId === 'string' ? await store.getRun(runId) : undefined;
    if (!record)
      throw new RuntimeError(RUNTIME_CODES.runNotFound, `There is no run "${String(runId)}" in this store.`);
    return record;
  }

  async function lastStoredSeq(record: RunRecord): Promise<number> {
    // A crash can land between appending events and rewriting the record: the log is the truth.
    const events = await store.getEvents(record.runId, { after: record.lastSeq });
    return events.reduce((max, e) => Math.max(max, e.seq), record.lastSeq);
  }

  const runtime: Runtime = {
    async catalogue() {
      return buildCatalogue(options.registry);
    },

    async validate(doc) {
      const loaded = loadDocument(doc);
      if (!loaded.ok) return { ok: false, issues: redactJson(loaded.issues) };
      const checked = engine.validate(loaded.value);
      return { ok: checked.ok, issues: redactJson(checked.issues) };
    },

    async explain(doc, o = {}) {
      checkTargets(o.targets);
      const admitted = admit(doc);
      return redactJson(
        await checked(() => engine.explain(admitted, o.targets ? { targets: o.targets } : {})),
      );
    },

    async estimate(doc, o = {}) {
      checkTargets(o.targets);
      // Estimate hooks ask providers for dry runs through the same services the nodes use.
      const configured =
        options.services instanceof Map ? options.services : new Map(Object.entries(options.services ?? {}));
      const estimateServices = {
        has: (name: string) => configured.has(name),
        get: <T>(name: string): T => {
          if (!configured.has(name))
            throw new RuntimeError(
              'service.missing',
              `The estimate needs the service "${name}", which this runtime was not given.`,
            );
          return configured.get(name) as T;
        },
      };
      const admitted = admit(doc);
      const explained = await checked(() =>
        engine.explain(admitted, o.targets ? { targets: o.targets } : {}),
      );
      const keyOf = new Map(explained.map((e) => [e.nodeId, e.key]));
      // what every connection carries, known before anything runs (a LoRA's provider and family)
      const typesOf = engine.connectedTypes(admitted);
      // by id, once: a lookup per node rather than a scan of the document per node
      const nodeById = new Map(admitted.nodes.map((n) => [n.id, n]));
      const incoming = new Map<string, GraphEdge[]>();
      for (const edge of admitted.edges) {
        const list = incoming.get(edge.to.node);
        if (list) list.push(edge);
        else incoming.set(edge.to.node, [edge]);
      }
      const nodes: NodeEstimate[] = [];
      const totals: Record<string, number> = {};
      for (const entry of explained) {
        const graphNode = nodeById.get(entry.nodeId)!;
        const def = options.registry.get(graphNode.type)!;
        const out: NodeEstimate = { ...entry, type: graphNode.type };
        if (entry.willRun && def.estimate) {
          try {
            const params = def.params.parse(graphNode.params ?? {});
            const inputs = await knownInputs(def, incoming.get(entry.nodeId) ?? [], keyOf);
            const inputTypes = typesOf.get(entry.nodeId) ?? {};
            const cost = await def.estimate({ params, inputs, inputTypes, services: estimateServices });
            if (cost) {
              out.cost = cost;
              totals[cost.unit] = (totals[cost.unit] ?? 0) + cost.amount;
            } else out.costUnknown = true;
          } catch (error) {
            const code = (error as { code?: unknown })?.code;
            out.costError = {
              code: typeof code === 'string' ? code : 'estimate.failed',
              message: redactText(error instanceof Error ? error.message : String(error)),
            };
          }
        }
        nodes.push(out);
      }
      const estimate: RunEstimate = {
        nodes,
        totals,
        willRun: nodes.filter((n) => n.willRun).length,
        fromCache: nodes.filter((n) => !n.willRun).length,
        unknownCosts: nodes.filter((n) => n.costUnknown || n.costError).length,
      };
      return redactJson(estimate);
    },

    async run(doc, o = {}) {
      checkTargets(o.targets);
      const admitted = admit(doc);
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
      return handleOf(await started(start(record, 0, o.signal)));
    },

    async resume(runId, o = {}) {
      if (active.has(runId)) {
        throw new RuntimeError(
          RUNTIME_CODES.runActive,
          `The run "${runId}" is still going here; it cannot be resumed twice.`,
        );
      }
      // Read, checked and rewritten under the run's take-up claim: of two processes resuming at once, one does.
      const taken = await whileTakingUp(claims, runId, owner, async () => {
        const record = await existing(runId);
        if (record.lease !== undefined && executorAlive(record, now(), INTERRUPTED_AFTER_MS))
          throw activeElsewhere(runId, record);
        admit(record.doc);
        const lastSeq = await lastStoredSeq(record);
        const { finishedAt: _, error: __, lease: ___, ...rest } = record;
        const at = now();
        const next: RunRecord = {
          ...rest,
          status: 'running',
          attempts: record.attempts + 1,
          startedAt: at,
          updatedAt: at,
          lastSeq,
        };
        return started(start(next, lastSeq, o.signal));
      });
      if (!taken) {
        throw new RuntimeError(
          RUNTIME_CODES.runActive,
          `The run "${runId}" is being taken up by another process right now; it cannot be resumed twice.`,
        );
      }
      return handleOf(taken.value);
    },

    async cancel(runId) {
      const run = active.get(runId);
      if (run) {
        run.cancel();
        await run.done;
        return;
      }
      const record = await existing(runId);
      if (record.status !== 'running') return;
      if (record.lease !== undefined && executorAlive(record, now(), INTERRUPTED_AFTER_MS))
        throw activeElsewhere(runId, record);
      // Nobody here runs it (its process died): mark it so it is not mistaken for a live run.
      await store.putRun({ ...record, status: 'cancelled', finishedAt: now(), updatedAt: now() });
    },

    async getRun(runId) {
      const run = active.get(runId);
      if (run) return structuredClone(run.record);
      const record = await store.getRun(runId);
      return record && flagInterrupted(record);
    },

    async listRuns(o = {}) {
      const records = await store.listRuns(o.limit !== undefined ? { limit: o.limit } : {});
      return records.map((r) =>
        active.has(r.runId) ? structuredClone(active.get(r.runId)!.record) : flagInterrupted(r),
      );
    },

    events(runId, o = {}) {
      return streamEvents(runId, o.after ?? 0, o.signal);
    },

    getBlob(hash) {
      return store.getBlob(hash);
    },
  };

  async function* streamEvents(
    runId: string,
    after: number,
    signal: AbortSignal | undefined,
  ): AsyncGenerator<RunEvent> {
    const run = active.get(runId);
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
        if (signal?.aborted || run.log.at(-1)?.type === 'run.finished') return;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
      }
    } finally {
      run.listeners.delete(onEvent);
      signal?.removeEventListener('abort', onEvent);
    }
  }

  /** A record "running" in no live process: nothing wrote it for longer than a heartbeat allows. */
  function flagInterrupted(record: RunRecord): RunRecord {
    if (record.status !== 'running' || executorAlive(record, now(), INTERRUPTED_AFTER_MS)) return record;
    return { ...record, interrupted: true };
  }

  async function knownInputs(
    def: AnyNodeDefinition,
    edges: readonly GraphEdge[],
    keyOf: Map<string, string | undefined>,
  ): Promise<Record<string, unknown>> {
    const inputs: Record<string, unknown> = {};
    // Only upstream outputs already in the cache are known before running; the rest stay absent.
    for (const edge of edges) {
      const key = keyOf.get(edge.from.node);
      const entry = key ? await store.get(key) : undefined;
      if (!entry || !(edge.from.port in entry.outputs)) continue;
      const value = entry.outputs[edge.from.port];
      if (def.inputs?.[edge.to.port]?.multiple) {
        const list = (inputs[edge.to.port] as unknown[] | undefined) ?? [];
        list.push({ value, settings: edge.settings ?? {} });
        inputs[edge.to.port] = list;
      } else inputs[edge.to.port] = value;
    }
    return inputs;
  }

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

/** Keeps the record's nodes on the attempt's fold: each node an event moved is projected again. */
function applyToRecord(record: RunRecord, event: RunEvent, fold: RunStateFold): void {
  record.updatedAt = event.at;
  if (event.type === 'run.started') {
    // nodes of an earlier attempt that this one does not plan keep their record
    for (const id of event.nodeIds) record.nodes[id] = nodeRecord(fold.node(id)!);
  } else if ('nodeId' in event && event.type !== 'node.log') {
    record.nodes[event.nodeId] = nodeRecord(fold.node(event.nodeId)!);
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
