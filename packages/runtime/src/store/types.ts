import type { CacheStore, GraphDocument, Journal, JournalRecord, JsonValue, RunEvent } from '../contract';

/**
 * Where a run stands. A record left `running` by a process that died stays so until `resume` (or `cancel`) takes
 * it up: a store shared by several processes cannot tell a dead run from one running elsewhere.
 *
 * @example
 * const unfinished = (await runtime.listRuns()).filter((r) => r.status === 'running');
 */
export type RunRecordStatus = 'running' | 'succeeded' | 'failed' | 'cancelled';

/**
 * What happened to one node in a run, as the run record keeps it.
 *
 * @example
 * const images = record.nodes.generate?.outputs?.images; // blob refs, fetched with runtime.getBlob
 */
export interface NodeRecord {
  status: 'pending' | 'queued' | 'running' | 'succeeded' | 'cached' | 'failed' | 'skipped' | 'cancelled';
  /** The node's cache key ('' while it depends on a volatile upstream that has not run). */
  key: string;
  /** The node's outputs (JSON, with blob refs), once it succeeded or came from the cache. */
  outputs?: Record<string, JsonValue>;
  error?: { code: string; message: string };
  because?: string;
}

/**
 * One run as the store keeps it: the document it ran, what it targeted, its status, each node's outcome and the
 * sequence number of its last event (events themselves are kept apart, see {@link RuntimeStore.getEvents}).
 *
 * @example
 * const record = await store.getRun(runId);
 * if (record?.interrupted) await runtime.resume(runId);
 */
export interface RunRecord {
  runId: string;
  doc: GraphDocument;
  targets?: string[];
  status: RunRecordStatus;
  createdAt: number;
  /** When the current attempt started. */
  startedAt: number;
  updatedAt: number;
  finishedAt?: number;
  /** How many times this run was started: 1, plus one per `resume`. */
  attempts: number;
  nodes: Record<string, NodeRecord>;
  lastSeq: number;
  error?: { code: string; message: string };
  /**
   * The lease of the process executing the run (decision 0032): its owner id and when the lease lapses unless the
   * heartbeat renews it. A run whose lease is live is refused to `resume` elsewhere (`run.active`); a finished run
   * has none.
   */
  lease?: { owner: string; expiresAt: number };
  /**
   * The tenant the run belongs to when a host serves several (`runtime.forTenant`, decision 0034): only that tenant
   * lists, reads, resumes or cancels it. Only the id is kept; the tenant's provider keys never are.
   */
  tenant?: string;
  /**
   * When `cancel` was asked of this run while another process executed it (decision 0032, "Cancel across
   * processes"): the executor reads it at its next checkpoint or heartbeat and cancels the run as a local cancel would.
   */
  cancelRequestedAt?: number;
  /**
   * The node ids (or 'all') a queued run was asked to recompute (decision 0033): the worker that takes the run up
   * applies it to its first attempt and removes it, so a later resume reuses what that attempt cached.
   */
  refresh?: string[] | 'all';
  /**
   * Set by `getRun`/`listRuns` (never stored) on a run recorded as running that no process has
   * written for over a minute: the process running it died (a crash, a reboot). `resume(runId)`
   * continues it — a training already started is re-attached, not started again — and
   * `cancel(runId)` closes it.
   */
  interrupted?: true;
}

/**
 * A problem a store found in what it had kept (a torn or corrupt file): it is treated as absent and reported here.
 *
 * @example
 * const problem: StoreProblem = { code: 'store.corrupt_record', message: 'The file is not whole JSON…', where: 'cache/ab/ab12….json' };
 */
export interface StoreProblem {
  code: 'store.corrupt_record' | 'store.corrupt_blob' | 'store.corrupt_event';
  message: string;
  /** Where, inside the store (a relative path for the file store, `objectStore/key` for IndexedDB). */
  where: string;
}

/**
 * Everything a runtime keeps, in one object per backend: the cache (entries and content-addressed blobs), the journal
 * of side effects (core names its methods `*Record`, so one object is both), and the run history with each run's
 * event log for replay. Pass it as both `cache` and `journal` to core's engine.
 *
 * Of `CacheStore`'s optional synchronous capabilities, the memory store offers both (`getSync`, `putFrozen`: its
 * entries are at hand and frozen); the file and IndexedDB stores offer neither, since every read is I/O. Every
 * runtime store offers `claims` (atomic across the processes sharing it: decision 0031), which the engine uses for
 * single-flight side effects and the runtime for run leases (decision 0032).
 *
 * @example
 * const store = createMemoryStore();
 * await store.put(entry.key, entry);
 * const recent = await store.listRuns({ limit: 10 });
 */
export interface RuntimeStore extends CacheStore, Journal {
  listRecords(runId?: string): Promise<JournalRecord[]>;
  putRun(record: RunRecord): Promise<void>;
  getRun(runId: string): Promise<RunRecord | undefined>;
  /** Newest first; with `tenant`, only the runs whose record names that tenant (the limit counts those). */
  listRuns(o?: { limit?: number; tenant?: string }): Promise<RunRecord[]>;
  appendEvents(runId: string, events: readonly RunEvent[]): Promise<void>;
  /** The run's events in order, those with `seq > after` when given. */
  getEvents(runId: string, o?: { after?: number }): Promise<RunEvent[]>;
  /** Releases what the backend holds open (a database connection); the store is unusable afterwards. */
  close(): Promise<void>;
}
