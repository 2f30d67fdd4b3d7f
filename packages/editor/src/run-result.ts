import type { NodeOutcome, RunResult } from '@loraflow/core';
import type { RunRecord } from './runtime-types';

const FINISHED: ReadonlySet<string> = new Set(['succeeded', 'cached', 'failed', 'skipped', 'cancelled']);

/**
 * A finished run's record as a run result (what the editor folds to show a run): its nodes that reached an end;
 * undefined for a run still recorded as running.
 *
 * @example
 * const result = resultOfRecord(await runtime.getRun(runId));
 */
export function resultOfRecord(record: RunRecord): RunResult | undefined {
  if (record.status === 'running') return undefined;
  const nodes: Record<string, NodeOutcome> = {};
  for (const [id, n] of Object.entries(record.nodes)) {
    if (!FINISHED.has(n.status)) continue;
    const outcome: NodeOutcome = { status: n.status as NodeOutcome['status'], key: n.key };
    if (n.outputs !== undefined) outcome.outputs = n.outputs;
    if (n.error !== undefined) outcome.error = n.error;
    if (n.because !== undefined) outcome.because = n.because;
    nodes[id] = outcome;
  }
  return {
    runId: record.runId,
    status: record.status,
    nodes,
    startedAt: record.startedAt,
    finishedAt: record.finishedAt ?? record.updatedAt,
  };
}
