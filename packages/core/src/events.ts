/**
 * A node or run failure as data: a stable code and a redacted sentence.
 *
 * @example
 * const error: NodeError = { code: 'node.failed', message: 'The provider said no.' };
 */
export interface NodeError {
  code: string;
  message: string;
}

type EventBase = { seq: number; runId: string; at: number };

/**
 * Everything that happens in a run, in order (`seq`); the one stream the CLI, the editor and a
 * remote client consume.
 *
 * @example
 * handle.subscribe((e) => { if (e.type === 'node.failed') show(e.nodeId, e.error.message); });
 */
export type RunEvent = EventBase &
  (
    | { type: 'run.started'; nodeIds: string[] }
    | { type: 'run.finished'; status: RunStatus; counts: Record<NodeStatus, number> }
    | { type: 'node.queued'; nodeId: string; key: string }
    | { type: 'node.started'; nodeId: string; key: string }
    | {
        type: 'node.progress';
        nodeId: string;
        fraction: number;
        message?: string;
        detail?: Record<string, number>;
      }
    | { type: 'node.log'; nodeId: string; level: 'debug' | 'info' | 'warn' | 'error'; message: string }
    | { type: 'node.cached'; nodeId: string; key: string; outputs: Readonly<Record<string, unknown>> }
    | {
        type: 'node.succeeded';
        nodeId: string;
        key: string;
        ms: number;
        outputs: Readonly<Record<string, unknown>>;
      }
    | { type: 'node.failed'; nodeId: string; error: NodeError }
    | { type: 'node.skipped'; nodeId: string; because: string }
    | { type: 'node.cancelled'; nodeId: string }
  );

/**
 * The type of one run event.
 *
 * @example
 * const terminal: RunEventType[] = ['node.succeeded', 'node.cached', 'node.failed'];
 */
export type RunEventType = RunEvent['type'];

/**
 * Where a node stands in a run.
 *
 * @example
 * const done = (s: NodeStatus) => s === 'succeeded' || s === 'cached';
 */
export type NodeStatus =
  | 'pending'
  | 'queued'
  | 'running'
  | 'cached'
  | 'succeeded'
  | 'failed'
  | 'skipped'
  | 'cancelled';

/**
 * Where a run stands: `failed` when any node failed, `cancelled` when it was cancelled.
 *
 * @example
 * if (state.status === 'running') showSpinner();
 */
export type RunStatus = 'running' | 'succeeded' | 'failed' | 'cancelled';

/**
 * One node's state in a run snapshot.
 *
 * @example
 * const fraction = handle.getSnapshot().nodes.train?.progress?.fraction ?? 0;
 */
export interface NodeRunState {
  status: NodeStatus;
  key: string;
  progress?: { fraction: number; message?: string; detail?: Record<string, number> };
  error?: NodeError;
  because?: string;
  /** Frozen outputs of a succeeded or cached node, as soon as it has them (previews need not wait for the run). */
  outputs?: Readonly<Record<string, unknown>>;
}

/**
 * An immutable snapshot of a run; the same object until something changes (fit for React's
 * `useSyncExternalStore`).
 *
 * @example
 * const state = useSyncExternalStore(handle.subscribe, handle.getSnapshot);
 */
export interface RunState {
  runId: string;
  status: RunStatus;
  startedAt: number;
  finishedAt?: number;
  nodes: Readonly<Record<string, Readonly<NodeRunState>>>;
}

/**
 * One node's outcome in a finished run. Outputs are frozen.
 *
 * @example
 * const images = result.nodes.generate?.outputs?.images;
 */
export interface NodeOutcome {
  status: 'cached' | 'succeeded' | 'failed' | 'skipped' | 'cancelled';
  key: string;
  outputs?: Readonly<Record<string, unknown>>;
  error?: NodeError;
  because?: string;
}

/**
 * The result of a run: every planned node's outcome. Node failures are values here, not exceptions.
 *
 * @example
 * const result = await engine.run(doc).result;
 * if (result.status === 'failed') for (const [id, o] of Object.entries(result.nodes)) if (o.error) log(id, o.error.message);
 */
export interface RunResult {
  runId: string;
  status: Exclude<RunStatus, 'running'>;
  nodes: Record<string, NodeOutcome>;
  startedAt: number;
  finishedAt: number;
}

/**
 * A running graph: one subscription interface, a snapshot, the final result and cancel.
 *
 * @example
 * const handle = engine.run(doc);
 * const off = handle.subscribe((e) => print(e));
 * const result = await handle.result; off();
 */
export interface RunHandle {
  runId: string;
  subscribe(listener: (event: RunEvent) => void): () => void;
  getSnapshot(): RunState;
  result: Promise<RunResult>;
  cancel(): void;
}
