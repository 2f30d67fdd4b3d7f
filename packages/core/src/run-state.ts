import type { NodeError, NodeRunState, NodeStatus, RunEvent, RunState, RunStatus } from './events';
import { setOwn } from './json';

// The one fold from run events to run state (docs/decisions/0014): the engine's snapshot, the runtime's
// handles and record, the remote client and the editor all read runs through it.

// a log line changes no state: every other node event moves its node
type NodeEvent = Exclude<Extract<RunEvent, { nodeId: string }>, { type: 'node.log' }>;
type NodeStates = Readonly<Record<string, Readonly<NodeRunState>>>;

/**
 * What a node that was cancelled with its run carries as its error, in the snapshot as in the run's result.
 *
 * @example
 * if (state.nodes.train?.error?.code === CANCELLED_ERROR.code) showCancelled();
 */
export const CANCELLED_ERROR: NodeError = Object.freeze({
  code: 'run.cancelled',
  message: 'The run was cancelled.',
});

// one frozen object for every node a run has not reached: a run.started of 10k nodes allocates no state
const PENDING: Readonly<NodeRunState> = Object.freeze({ status: 'pending', key: '' });

const STATUSES: readonly NodeStatus[] = [
  'pending',
  'queued',
  'running',
  'cached',
  'succeeded',
  'failed',
  'skipped',
  'cancelled',
];

/**
 * The state of a run before its first event.
 *
 * @example
 * const state = initialRunState('run_1', Date.now()); // { runId: 'run_1', status: 'running', nodes: {} }
 */
export function initialRunState(runId: string, at: number): RunState {
  return Object.freeze({ runId, status: 'running', startedAt: at, nodes: Object.freeze({}) });
}

/**
 * Folds one event into a run state, purely: a new state when the event changed something, the same one
 * otherwise (a log line). It copies the node record, O(nodes) per event; a stream of events is folded in
 * O(1) each by {@link createRunStateFold}, which gives the same states.
 *
 * @example
 * let state = initialRunState(runId, Date.now());
 * for (const e of events) state = reduceRunState(state, e);
 */
export function reduceRunState(state: RunState, event: RunEvent): RunState {
  switch (event.type) {
    case 'run.started':
      return Object.freeze({ ...started(state, event.at), nodes: pendingNodes(event.nodeIds) });
    case 'run.finished':
      return Object.freeze({ ...state, status: event.status, finishedAt: event.at });
    case 'node.log':
      return state;
    default: {
      const work = workingCopy(own(state.nodes, event.nodeId) ?? PENDING);
      applyNodeEvent(work, event);
      const next = frozenState(work);
      return Object.freeze({ ...state, nodes: Object.freeze({ ...state.nodes, [event.nodeId]: next }) });
    }
  }
}

/**
 * A run state folded one event at a time: {@link reduceRunState}'s states at O(1) per event. A node's state
 * object is replaced only when an event changes it, so untouched nodes keep their identity.
 *
 * @example
 * const fold = createRunStateFold(initialRunState(handle.runId, Date.now()));
 * handle.subscribe((e) => { if (fold.apply(e)) render(fold.node(e.nodeId)); });
 */
export interface RunStateFold {
  /** Folds one event in; false when it changed nothing (a log line). O(1), except `run.started` (O(nodes)). */
  apply(event: RunEvent): boolean;
  /**
   * The run state now, deep-frozen and the same object until an event changes something (fit for React's
   * `useSyncExternalStore`). The first call after a node changed builds the node record, O(nodes).
   */
  getSnapshot(): RunState;
  /** One node's state now, O(1): the same object until an event changes that node. */
  node(nodeId: string): Readonly<NodeRunState> | undefined;
  /** How many nodes are in each status now, O(1): the same object until a node's status changes. */
  counts(): Readonly<Record<NodeStatus, number>>;
}

/** A node the fold has seen an event for: its working state, and its frozen form once someone read it. */
interface NodeSlot extends WorkingState {
  frozen: Readonly<NodeRunState> | undefined;
}

/**
 * Starts an incremental fold from a run state (usually {@link initialRunState}).
 *
 * Events change a working copy of their node in place; the frozen state a reader gets is made when it
 * is read, once per change. So an event costs no allocation (the engine folds every event of a 10k-node
 * run, listened to or not), and the snapshot's node record is rebuilt lazily, once per `getSnapshot`
 * after a change: a subscriber that reads per event reads `node(id)` and `counts()`, which cost O(1).
 *
 * @example
 * const fold = createRunStateFold(initialRunState('run_1', 0));
 * for (const e of events) fold.apply(e);
 * fold.getSnapshot().nodes.train?.status; // 'succeeded'
 */
export function createRunStateFold(initial: RunState): RunStateFold {
  const runId = initial.runId;
  let status: RunStatus = initial.status;
  let startedAt = initial.startedAt;
  let finishedAt = initial.finishedAt;
  // null: a node of run.started no event has moved yet (pending, no slot allocated)
  const nodes = new Map<string, NodeSlot | null>();
  for (const [id, state] of Object.entries(initial.nodes)) nodes.set(id, slotOf(state, state));
  let counts: Record<NodeStatus, number> = countOf(initial.nodes);
  let frozenCounts: Readonly<Record<NodeStatus, number>> | undefined;
  // what getSnapshot last built; the record is kept across run-level changes (run.finished touches no node)
  let snapshot: RunState | undefined;
  let record: NodeStates | undefined;

  const apply = (event: RunEvent): boolean => {
    switch (event.type) {
      case 'run.started': {
        status = 'running';
        startedAt = event.at;
        finishedAt = undefined;
        nodes.clear();
        for (const id of event.nodeIds) nodes.set(id, null);
        counts = countOf({});
        counts.pending = nodes.size;
        frozenCounts = undefined;
        record = undefined;
        break;
      }
      case 'run.finished':
        status = event.status;
        finishedAt = event.at;
        break;
      case 'node.log':
        return false;
      default: {
        let slot = nodes.get(event.nodeId);
        if (slot === undefined || slot === null) {
          if (slot === null) counts.pending--;
          slot = slotOf(PENDING, undefined);
          nodes.set(event.nodeId, slot);
        } else counts[slot.status]--;
        applyNodeEvent(slot, event);
        counts[slot.status]++;
        slot.frozen = undefined;
        frozenCounts = undefined;
        record = undefined;
      }
    }
    snapshot = undefined;
    return true;
  };

  const read = (slot: NodeSlot | null): Readonly<NodeRunState> => {
    if (slot === null) return PENDING;
    slot.frozen ??= frozenState(slot);
    return slot.frozen;
  };

  const getSnapshot = (): RunState => {
    if (snapshot) return snapshot;
    if (!record) {
      const built: Record<string, Readonly<NodeRunState>> = {};
      for (const [id, slot] of nodes) setOwn(built, id, read(slot));
      record = Object.freeze(built);
    }
    const state: RunState = { runId, status, startedAt, nodes: record };
    if (finishedAt !== undefined) state.finishedAt = finishedAt;
    snapshot = Object.freeze(state);
    return snapshot;
  };

  return {
    apply,
    getSnapshot,
    node: (nodeId) => {
      const slot = nodes.get(nodeId);
      return slot === undefined ? undefined : read(slot);
    },
    counts() {
      frozenCounts ??= frozenCountsOf(counts);
      return frozenCounts;
    },
  };
}

// the status each node event moves a node to
const STATUS_OF = {
  'node.queued': 'queued',
  'node.started': 'running',
  'node.cached': 'cached',
  'node.succeeded': 'succeeded',
  'node.failed': 'failed',
  'node.skipped': 'skipped',
  'node.cancelled': 'cancelled',
} as const satisfies Partial<Record<NodeEvent['type'], NodeStatus>>;

/** A node's state while it is folded: every field present (undefined when absent), so one shape throughout. */
interface WorkingState {
  status: NodeStatus;
  key: string;
  progress: NodeRunState['progress'] | undefined;
  error: NodeError | undefined;
  because: string | undefined;
  outputs: Readonly<Record<string, unknown>> | undefined;
}

function workingCopy(s: Readonly<NodeRunState>): WorkingState {
  return slotOf(s, undefined);
}

// one object per node, of one shape: the working state and its frozen form
function slotOf(s: Readonly<NodeRunState>, frozen: Readonly<NodeRunState> | undefined): NodeSlot {
  return {
    status: s.status,
    key: s.key,
    progress: s.progress,
    error: s.error,
    because: s.because,
    outputs: s.outputs,
    frozen,
  };
}

/** The frozen state readers get: only the fields a node has. */
function frozenState(w: WorkingState): Readonly<NodeRunState> {
  const s: NodeRunState = { status: w.status, key: w.key };
  if (w.progress !== undefined) s.progress = w.progress;
  if (w.error !== undefined) s.error = w.error;
  if (w.because !== undefined) s.because = w.because;
  if (w.outputs !== undefined) s.outputs = w.outputs;
  return Object.freeze(s);
}

/** The one per-node transition: what an event makes of a node's state (changed in place). */
function applyNodeEvent(w: WorkingState, event: NodeEvent): void {
  if (event.type === 'node.progress') {
    const progress: NonNullable<NodeRunState['progress']> = { fraction: event.fraction };
    if (event.message !== undefined) progress.message = event.message;
    if (event.detail !== undefined) progress.detail = event.detail;
    w.progress = Object.freeze(progress);
    return;
  }
  w.status = STATUS_OF[event.type];
  // a node's outputs belong to its succeeded or cached state only: a change of status leaves them behind
  w.outputs = undefined;
  switch (event.type) {
    case 'node.failed':
      w.error = event.error;
      break;
    case 'node.cancelled':
      // the engine's result and snapshot give a cancelled node this error; the fold says the same
      w.error = CANCELLED_ERROR;
      break;
    case 'node.skipped':
      w.because = event.because;
      break;
    default: {
      w.key = event.key;
      // events from an older runtime (or a store written by one) may carry no outputs
      const outputs: unknown = 'outputs' in event ? event.outputs : undefined;
      if (outputs !== null && typeof outputs === 'object' && !Array.isArray(outputs))
        w.outputs = outputs as Readonly<Record<string, unknown>>;
    }
  }
}

function started(state: RunState, at: number): Omit<RunState, 'nodes'> {
  const { finishedAt: _, nodes: __, ...rest } = state;
  return { ...rest, status: 'running', startedAt: at };
}

function pendingNodes(ids: readonly string[]): NodeStates {
  const nodes: Record<string, Readonly<NodeRunState>> = {};
  for (const id of ids) setOwn(nodes, id, PENDING);
  return Object.freeze(nodes);
}

// A literal of one shape (STATUSES' order) rather than a spread: a status line reads the counts after every event.
function frozenCountsOf(c: Record<NodeStatus, number>): Readonly<Record<NodeStatus, number>> {
  return Object.freeze({
    pending: c.pending,
    queued: c.queued,
    running: c.running,
    cached: c.cached,
    succeeded: c.succeeded,
    failed: c.failed,
    skipped: c.skipped,
    cancelled: c.cancelled,
  } satisfies Record<NodeStatus, number>);
}

function countOf(states: NodeStates): Record<NodeStatus, number> {
  const counts = Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<NodeStatus, number>;
  for (const id in states) if (Object.hasOwn(states, id)) counts[states[id]!.status]++;
  return counts;
}

function own(record: NodeStates, key: string): Readonly<NodeRunState> | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}
