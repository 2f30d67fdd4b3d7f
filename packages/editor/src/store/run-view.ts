import {
  createRunStateFold,
  initialRunState,
  type NodeOutcome,
  type NodeRunState,
  type NodeStatus,
  type RunEvent,
  type RunResult,
  type RunState,
  type RunStateFold,
} from '@loraflow/core';

/**
 * What the editor shows for one node during and after a run: core's states, with `idle` for a node
 * no run has touched (core's `pending` only exists inside a run).
 *
 * @example
 * const busy = (s: NodeRunStatus) => s === 'queued' || s === 'running';
 */
export type NodeRunStatus = 'idle' | Exclude<NodeStatus, 'pending'>;

/**
 * One node's run state as the editor shows it: derived from core's `NodeRunState` (the run's one fold),
 * the same object until that node's state changes, so memoised node components skip the others.
 *
 * @example
 * const view = useEditorState((s) => s.run.node('train')); view?.detail?.queuePosition;
 */
export interface NodeRunView {
  status: NodeRunStatus;
  fraction?: number;
  message?: string;
  detail?: Record<string, unknown>;
  error?: { code: string; message: string };
  because?: string;
  outputs?: Readonly<Record<string, unknown>>;
}

/**
 * The run as the editor shows it. A new object after every event; its nodes are read from the run's fold
 * as it is now, in O(1) with `node(id)` (what a component that renders per event should use).
 *
 * @example
 * const run: RunView = useRunState(); run.status === 'running'; run.counts.succeeded;
 */
export interface RunView {
  runId?: string;
  status: 'idle' | 'starting' | 'running' | 'succeeded' | 'failed' | 'cancelled';
  error?: string;
  /** How many of the run's nodes are in each state. */
  counts: Readonly<Record<NodeStatus, number>>;
  /** One node's view, O(1); undefined for a node the run has not reached. */
  node(nodeId: string): NodeRunView | undefined;
  /** Every reached node's view, by id: built on the first read after a change, O(nodes). */
  readonly nodes: Readonly<Record<string, NodeRunView>>;
}

/**
 * The fields of a run view that are the editor's own (the rest come from the fold).
 *
 * @example
 * const fields: RunFields = { runId: 'run_1', status: 'running' };
 */
export type RunFields = Pick<RunView, 'runId' | 'status' | 'error'>;

// a run not started yet counts nothing: the counts of a fold of no event
const NO_COUNTS = createRunStateFold(initialRunState('', 0)).counts();
const NO_NODES: Readonly<Record<string, NodeRunView>> = Object.freeze({});

/** One node's last view and the core state it was made from (updated in place when the state changes). */
interface ViewEntry {
  state: Readonly<NodeRunState>;
  view: NodeRunView | undefined;
}

// Per fold, node id → its last view: a node state is derived once and keeps its view's identity. A map per
// fold rather than a WeakMap keyed by every state: a 10k-node run makes ~30k states, and a weak entry each
// cost more (in the collector) than the rest of an event's work in the editor.
const viewCaches = new WeakMap<RunStateFold, Map<string, ViewEntry>>();
const records = new WeakMap<RunState, Readonly<Record<string, NodeRunView>>>();

function viewCacheOf(fold: RunStateFold): Map<string, ViewEntry> {
  let cache = viewCaches.get(fold);
  if (!cache) {
    cache = new Map();
    viewCaches.set(fold, cache);
  }
  return cache;
}

/**
 * A run view over `fold` (none before a run has started) with the editor's own fields.
 *
 * @example
 * createRunView({ runId, status: 'running' }, fold).node('train')?.fraction;
 */
export function createRunView(fields: RunFields, fold: RunStateFold | undefined): RunView {
  return new FoldRunView(fields, fold);
}

// A class, not a literal with a getter: one is made per run event, and a literal's accessor costs more
// to create than the rest of the event's work.
class FoldRunView implements RunView {
  declare readonly runId?: string;
  readonly status: RunView['status'];
  declare readonly error?: string;
  readonly #fold: RunStateFold | undefined;
  readonly #views: Map<string, ViewEntry> | undefined;

  constructor(fields: RunFields, fold: RunStateFold | undefined) {
    if (fields.runId !== undefined) this.runId = fields.runId;
    this.status = fields.status;
    if (fields.error !== undefined) this.error = fields.error;
    this.#fold = fold;
    this.#views = fold && viewCacheOf(fold);
  }

  get counts(): Readonly<Record<NodeStatus, number>> {
    return this.#fold ? this.#fold.counts() : NO_COUNTS;
  }

  get nodes(): Readonly<Record<string, NodeRunView>> {
    return this.#fold ? viewsOf(this.#fold.getSnapshot(), this.#views!) : NO_NODES;
  }

  node(nodeId: string): NodeRunView | undefined {
    const state = this.#fold?.node(nodeId);
    return state && viewOf(nodeId, state, this.#views!);
  }
}

/** The view of a node's state, the same object as long as the state is. */
function viewOf(
  nodeId: string,
  state: Readonly<NodeRunState>,
  cache: Map<string, ViewEntry>,
): NodeRunView | undefined {
  const entry = cache.get(nodeId);
  if (entry?.state === state) return entry.view;
  const view = makeView(state);
  if (entry) {
    entry.state = state;
    entry.view = view;
  } else cache.set(nodeId, { state, view });
  return view;
}

function makeView(state: Readonly<NodeRunState>): NodeRunView | undefined {
  if (state.status === 'pending') return undefined;
  const view: NodeRunView = { status: state.status };
  const done = state.status === 'succeeded' || state.status === 'cached';
  // a finished node's bar is full; a running one's starts empty, and a cancelled one stays where it stopped
  if (done) view.fraction = 1;
  else if (state.status === 'running' || (state.status === 'cancelled' && state.progress)) {
    view.fraction = state.progress?.fraction ?? 0;
    if (state.progress?.message !== undefined) view.message = state.progress.message;
    if (state.progress?.detail !== undefined) view.detail = state.progress.detail;
  }
  if (done && state.outputs) view.outputs = state.outputs;
  // a cancelled node's error only repeats its status
  if (state.status === 'failed' && state.error) view.error = state.error;
  if (state.because !== undefined) view.because = state.because;
  return view;
}

function viewsOf(snapshot: RunState, cache: Map<string, ViewEntry>): Readonly<Record<string, NodeRunView>> {
  let record = records.get(snapshot);
  if (record) return record;
  const built: Record<string, NodeRunView> = {};
  for (const [id, state] of Object.entries(snapshot.nodes)) {
    const view = viewOf(id, state, cache);
    if (view) built[id] = view;
  }
  record = Object.freeze(built);
  records.set(snapshot, record);
  return record;
}

/**
 * The events a run's result implies for the nodes whose events the editor missed (a run that ended
 * before it subscribed, or an older runtime whose events carry no outputs): the fold takes them as any other.
 *
 * @example
 * for (const e of eventsOfResult(result, fold)) fold.apply(e);
 */
export function eventsOfResult(result: RunResult, fold: RunStateFold): RunEvent[] {
  const events: RunEvent[] = [];
  const base = { seq: 0, runId: result.runId, at: result.finishedAt };
  for (const [nodeId, outcome] of Object.entries(result.nodes)) {
    const now = fold.node(nodeId);
    if (now?.status === outcome.status && (now.outputs !== undefined || outcome.outputs === undefined))
      continue;
    events.push({ ...base, nodeId, ...bodyOf(outcome) } as RunEvent);
  }
  return events;
}

function bodyOf(outcome: NodeOutcome): Record<string, unknown> {
  const outputs = outcome.outputs ? { outputs: outcome.outputs } : {};
  switch (outcome.status) {
    case 'succeeded':
      return { type: 'node.succeeded', key: outcome.key, ms: 0, ...outputs };
    case 'cached':
      return { type: 'node.cached', key: outcome.key, ...outputs };
    case 'failed':
      return {
        type: 'node.failed',
        error: outcome.error ?? { code: 'node.failed', message: 'The node failed.' },
      };
    case 'skipped':
      return { type: 'node.skipped', because: outcome.because ?? '' };
    case 'cancelled':
      return { type: 'node.cancelled' };
  }
}
