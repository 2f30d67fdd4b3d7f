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
      const prev = own(state.nodes, event.nodeId);
      const next = nextNodeState(prev ?? PENDING, event);
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

/**
 * Starts an incremental fold from a run state (usually {@link initialRunState}).
 *
 * The snapshot's node record is rebuilt lazily, once per `getSnapshot` after a change, rather than copied
 * per event: a subscriber that reads per event reads `node(id)` and `counts()`, which cost O(1).
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
  const nodes = new Map<string, Readonly<NodeRunState>>(Object.entries(initial.nodes));
  let counts: Record<NodeStatus, number> = countOf(nodes.values());
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
        for (const id of event.nodeIds) nodes.set(id, PENDING);
        counts = countOf(nodes.values());
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
        const prev = nodes.get(event.nodeId);
        const next = nextNodeState(prev ?? PENDING, event);
        nodes.set(event.nodeId, next);
        if (prev?.status !== next.status) {
          if (prev) counts[prev.status]--;
          counts[next.status]++;
          frozenCounts = undefined;
        }
        record = undefined;
      }
    }
    snapshot = undefined;
    return true;
  };

  const getSnapshot = (): RunState => {
    if (snapshot) return snapshot;
    if (!record) {
      const built: Record<string, Readonly<NodeRunState>> = {};
      for (const [id, state] of nodes) setOwn(built, id, state);
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
    node: (nodeId) => nodes.get(nodeId),
    counts() {
      frozenCounts ??= Object.freeze({ ...counts });
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

/** The one per-node transition: what an event makes of a node's state. */
function nextNodeState(prev: Readonly<NodeRunState>, event: NodeEvent): Readonly<NodeRunState> {
  if (event.type === 'node.progress') {
    const progress: NonNullable<NodeRunState['progress']> = { fraction: event.fraction };
    if (event.message !== undefined) progress.message = event.message;
    if (event.detail !== undefined) progress.detail = event.detail;
    return Object.freeze({ ...prev, progress: Object.freeze(progress) });
  }
  const next = moved(prev, STATUS_OF[event.type]);
  switch (event.type) {
    case 'node.failed':
      next.error = event.error;
      break;
    case 'node.cancelled':
      // the engine's result and snapshot give a cancelled node this error; the fold says the same
      next.error = CANCELLED_ERROR;
      break;
    case 'node.skipped':
      next.because = event.because;
      break;
    default: {
      next.key = event.key;
      // events from an older runtime (or a store written by one) may carry no outputs
      const outputs: unknown = 'outputs' in event ? event.outputs : undefined;
      if (outputs !== null && typeof outputs === 'object' && !Array.isArray(outputs))
        next.outputs = outputs as Readonly<Record<string, unknown>>;
    }
  }
  return Object.freeze(next);
}

// A node's outputs belong to its succeeded or cached state only: a change of status leaves them behind.
function moved(prev: Readonly<NodeRunState>, status: NodeStatus): NodeRunState {
  if (prev.outputs === undefined) return { ...prev, status };
  const { outputs: _, ...rest } = prev;
  return { ...rest, status };
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

function countOf(states: Iterable<Readonly<NodeRunState>>): Record<NodeStatus, number> {
  const counts = Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<NodeStatus, number>;
  for (const state of states) counts[state.status]++;
  return counts;
}

function own(record: NodeStates, key: string): Readonly<NodeRunState> | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}
