import type { NodeRunState, RunEvent, RunState } from '@loraflow/core';

/**
 * Folds one event into a run state: the snapshot a handle gives is the same fold for a local and a remote run.
 *
 * @example
 * let state = initialRunState(runId, Date.now());
 * for (const e of events) state = reduceRunState(state, e);
 */
export function reduceRunState(state: RunState, event: RunEvent): RunState {
  const node = (id: string, patch: Partial<NodeRunState>): RunState => {
    const before: NodeRunState = state.nodes[id] ?? { status: 'pending', key: '' };
    const next: NodeRunState = { ...before, ...patch };
    return { ...state, nodes: { ...state.nodes, [id]: next } };
  };
  switch (event.type) {
    case 'run.started': {
      const nodes: Record<string, NodeRunState> = {};
      for (const id of event.nodeIds) nodes[id] = { status: 'pending', key: '' };
      const { finishedAt: _, ...rest } = state;
      return { ...rest, status: 'running', startedAt: event.at, nodes };
    }
    case 'run.finished':
      return { ...state, status: event.status, finishedAt: event.at };
    case 'node.queued':
      return node(event.nodeId, { status: 'queued', key: event.key });
    case 'node.started':
      return node(event.nodeId, { status: 'running', key: event.key });
    case 'node.progress': {
      const progress: NonNullable<NodeRunState['progress']> = { fraction: event.fraction };
      if (event.message !== undefined) progress.message = event.message;
      if (event.detail !== undefined) progress.detail = event.detail;
      return node(event.nodeId, { progress });
    }
    case 'node.cached':
      return node(event.nodeId, withOutputs({ status: 'cached', key: event.key }, event.outputs));
    case 'node.succeeded':
      return node(event.nodeId, withOutputs({ status: 'succeeded', key: event.key }, event.outputs));
    case 'node.failed':
      return node(event.nodeId, { status: 'failed', error: event.error });
    case 'node.skipped':
      return node(event.nodeId, { status: 'skipped', because: event.because });
    case 'node.cancelled':
      return node(event.nodeId, { status: 'cancelled' });
    default:
      return state;
  }
}

/**
 * The state of a run before its first event.
 *
 * @example
 * const state = initialRunState('run_1', Date.now()); // { status: 'running', nodes: {} }
 */
export function initialRunState(runId: string, at: number): RunState {
  return { runId, status: 'running', startedAt: at, nodes: {} };
}

// events from an older runtime (or a store written by one) may carry no outputs
function withOutputs(patch: Partial<NodeRunState>, outputs: unknown): Partial<NodeRunState> {
  if (outputs !== null && typeof outputs === 'object' && !Array.isArray(outputs))
    patch.outputs = outputs as Record<string, unknown>;
  return patch;
}
