/**
 * One request the emulator answered (or refused through a fault). Never holds credentials or bodies.
 *
 * @example
 * const resets = emulator.log.entries().filter((e: LogEntry) => e.status === 0);
 */
export interface LogEntry {
  seq: number;
  /** Emulated epoch ms when the request arrived. */
  at: number;
  method: string;
  path: string;
  provider: 'scenario' | 'modelslab' | 'files' | 'other';
  /** Stable route name such as `scenario.models.train`; `unmatched` when no route answered. */
  route: string;
  /** HTTP status sent; 0 when the connection was reset instead. */
  status: number;
  /** The model (or ModelsLab request/training) the request created or acted on, when there is one. */
  modelId?: string;
  jobId?: string;
  /**
   * Which account made the request, once its credentials were accepted: `scenario-key-<n>` or `modelslab-key-<n>`, the
   * position of the key among the accepted ones (the keys themselves are credentials).
   */
  account?: string;
  /** The fault that was injected, if any. */
  fault?: string;
}

/**
 * Filters for reading the log; `route` also matches children (`scenario.models.train` includes `.dryRun`).
 *
 * @example
 * emulator.log.entries({ provider: 'modelslab', route: 'modelslab.fetch' });
 */
export interface LogQuery {
  provider?: string;
  route?: string;
  method?: string;
  status?: number;
  modelId?: string;
  sinceSeq?: number;
  limit?: number;
}

/**
 * The request log a test reads to count creates, trains and polls.
 *
 * @example
 * const trains = emulator.log.entries({ route: 'scenario.models.train' }).length;
 */
export interface RequestLog {
  entries(query?: LogQuery): LogEntry[];
  clear(): void;
  /** @internal used by the emulator to record a request. */
  append(entry: Omit<LogEntry, 'seq'>): LogEntry;
}

// The log is a ring: a long-running demo must not grow without bound.
const MAX_ENTRIES = 10_000;

/** Creates an empty request log. */
export function createRequestLog(): RequestLog {
  let items: LogEntry[] = [];
  let seq = 0;
  return {
    append(entry) {
      const full = { seq: ++seq, ...entry };
      items.push(full);
      if (items.length > MAX_ENTRIES) items = items.slice(-MAX_ENTRIES);
      return full;
    },
    entries(query = {}) {
      const out = items.filter(
        (e) =>
          (query.provider === undefined || e.provider === query.provider) &&
          (query.route === undefined || e.route === query.route || e.route.startsWith(`${query.route}.`)) &&
          (query.method === undefined || e.method === query.method.toUpperCase()) &&
          (query.status === undefined || e.status === query.status) &&
          (query.modelId === undefined || e.modelId === query.modelId) &&
          (query.sinceSeq === undefined || e.seq > query.sinceSeq),
      );
      return query.limit === undefined ? out : out.slice(-query.limit);
    },
    clear() {
      items = [];
    },
  };
}
