// Runs executed elsewhere (decision 0033): a runtime given `dispatch` stores a run and hands it to a queue; a worker
// process executes it. What this process serves of such a run — its events, its end — is read from the store.
import {
  createRunStateFold,
  initialRunState,
  type NodeOutcome,
  type RunEvent,
  type RunResult,
} from '@loraflow/core';
import type { RunRecord } from './store/types';
import type { RuntimeRunHandle } from './types';

/** How often a run executed elsewhere is looked at for new events, by default (real time). */
export const FOLLOW_MS = 250;

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    // a follower never keeps a process alive on its own
    (timer as { unref?: () => void }).unref?.();
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

/** What a follower reads: the store's events of a run, and its record as `getRun` reports it (caught up). */
export interface FollowSource {
  getEvents(runId: string, o: { after: number }): Promise<RunEvent[]>;
  getRun(runId: string): Promise<RunRecord | undefined>;
  followMs: number;
}

/**
 * A run's stored events with `seq > after`, polled until the run has ended: the record is no longer `running` and
 * every event up to its last is given. An attempt killed mid-way writes no `run.finished`: the stream waits for the
 * next attempt, whose events continue the sequence, so a reader sees no gap and no number twice.
 */
export async function* followStored(
  source: FollowSource,
  runId: string,
  after: number,
  signal: AbortSignal | undefined,
): AsyncGenerator<RunEvent> {
  let last = after;
  for (;;) {
    if (signal?.aborted) return;
    // the record first: events stored before it said "ended" are all read by the query after
    const record = await source.getRun(runId);
    const events = await source.getEvents(runId, { after: last });
    for (const event of events) {
      if (signal?.aborted) return;
      yield event;
      last = event.seq;
    }
    if (!record || (record.status !== 'running' && events.length === 0)) return;
    if (events.length === 0) await sleep(source.followMs, signal);
  }
}

/** The outcome of a node as a finished record keeps it; undefined for a node that never ended. */
function outcomeOf(node: RunRecord['nodes'][string]): NodeOutcome | undefined {
  if (!['cached', 'succeeded', 'failed', 'skipped', 'cancelled'].includes(node.status)) return undefined;
  const outcome: NodeOutcome = { status: node.status as NodeOutcome['status'], key: node.key };
  if (node.outputs) outcome.outputs = node.outputs;
  if (node.error) outcome.error = node.error;
  if (node.because !== undefined) outcome.because = node.because;
  return outcome;
}

/**
 * The handle of a run this process handed to a queue: `subscribe` and `getSnapshot` follow its stored events, and
 * `result` settles once its record has ended (polled, at a fourth of the event pace: nobody may be waiting on it).
 */
export function followedHandle(
  source: FollowSource,
  runId: string,
  after: number,
  cancel: () => void,
): RuntimeRunHandle {
  const fold = createRunStateFold(initialRunState(runId, 0));
  const result = (async (): Promise<RunResult> => {
    for (;;) {
      let record: RunRecord | undefined;
      try {
        record = await source.getRun(runId);
      } catch {
        // a store that fails once may answer the next time: the run goes on elsewhere meanwhile
        await sleep(source.followMs * 4);
        continue;
      }
      if (!record) throw new Error(`The run "${runId}" is no longer in the store.`);
      if (record.status !== 'running') {
        const nodes: Record<string, NodeOutcome> = {};
        for (const [id, node] of Object.entries(record.nodes)) {
          const outcome = outcomeOf(node);
          if (outcome) nodes[id] = outcome;
        }
        return {
          runId,
          status: record.status,
          nodes,
          startedAt: record.startedAt,
          finishedAt: record.finishedAt ?? record.updatedAt,
        };
      }
      await sleep(source.followMs * 4);
    }
  })();
  // marked handled: a handle nobody awaits must not bring the process down; whoever awaits it still sees a rejection
  result.catch(() => {});
  return {
    runId,
    after,
    result,
    cancel,
    getSnapshot: fold.getSnapshot,
    subscribe(listener) {
      const controller = new AbortController();
      void (async () => {
        for await (const event of followStored(source, runId, 0, controller.signal)) {
          fold.apply(event);
          if (event.seq <= after) continue;
          try {
            listener(event);
          } catch {
            // A throwing subscriber must not stop the others' stream.
          }
        }
      })().catch(() => {});
      return () => controller.abort();
    },
  };
}
