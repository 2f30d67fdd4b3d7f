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

// keyed by core's frozen states: a node state (or a snapshot) is derived once, and keeps its view's identity
const views = new WeakMap<Readonly<NodeRunState>, NodeRunView>();
const records = new WeakMap<RunState, Readonly<Record<string, NodeRunView>>>();

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

  constructor(fields: RunFields, fold: RunStateFold | undefined) {
    if (fields.runId !== undefined) this.runId = fields.runId;
    this.status = fields.status;
    if (fields.error !== undefined) this.error = fields.error;
    this.#fold = fold;
  }

  get counts(): Readonly<Record<NodeStatus, number>> {
    return this.#fold ? this.#fold.counts() : NO_COUNTS;
  }

  get nodes(): Readonly<Record<string, NodeRunView>> {
    return this.#fold ? viewsOf(this.#fold.getSnapshot()) : NO_NODES;
  }

  node(nodeId: string): NodeRunView | undefined {
    return viewOf(this.#fold?.node(nodeId));
  }
}

function viewOf(state: Readonly<NodeRunState> | undefined): NodeRunView | undefined {
  if (!state || state.status === 'pending') return undefined;
  let view = views.get(state);
  if (view) return view;
  view = { status: state.status };
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
  views.set(state, view);
  return view;
}

function viewsOf(snapshot: RunState): Readonly<Record<string, NodeRunView>> {
  let record = records.get(snapshot);
  if (record) return record;
  const built: Record<string, NodeRunView> = {};
  for (const [id, state] of Object.entries(snapshot.nodes)) {
    const view = viewOf(state);
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
