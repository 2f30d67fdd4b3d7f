// The run's events, logged compactly until someone reads the run's state: a code and a step index in
// one int per event. Replayed, they are the very events the run emitted (the values they carried are
// the run's columns, which never change once set), folded by the one fold (run-state.ts).
import type { NodeError, NodeRunState, RunEvent, RunStatus } from '../events';
import type { RunStateFold } from '../run-state';
import type { Step } from './plan';

/** The event kinds of the log. */
export const LOGGED = {
  queued: 0,
  started: 1,
  cached: 2,
  succeeded: 3,
  failed: 4,
  skipped: 5,
  cancelled: 6,
  progress: 7,
  runStarted: 8,
  runFinished: 9,
} as const;
type Code = (typeof LOGGED)[keyof typeof LOGGED];

/** What a replay reads of the run: the columns its events carried values from. */
export interface LoggedRun {
  runId: string;
  steps: readonly Step[];
  keys: ReadonlyArray<string | undefined>;
  outputs: ReadonlyArray<Readonly<Record<string, unknown>> | undefined>;
  errors: ReadonlyArray<NodeError | undefined>;
  because: ReadonlyArray<string | undefined>;
  startedAt: number;
  finishedAt: number | undefined;
  status: RunStatus;
}

type Progress = NonNullable<NodeRunState['progress']>;

/**
 * Events as ints (`index * 16 + code`): logging one allocates nothing and keeps nothing for the
 * collector to trace, which is what a 10k-node run that nobody watches needs (the bench's cold run).
 */
export class EventLog {
  private entries = new Int32Array(256);
  private length = 0;
  /** Progress payloads, by the index their entry carries (with the step they belong to). */
  private progress: Array<{ i: number; p: Progress }> = [];

  get size(): number {
    return this.length;
  }

  add(code: Code, i: number): void {
    if (this.length === this.entries.length) {
      const grown = new Int32Array(this.entries.length * 2);
      grown.set(this.entries);
      this.entries = grown;
    }
    this.entries[this.length++] = i * 16 + code;
  }

  addProgress(i: number, p: Progress): void {
    this.add(LOGGED.progress, this.progress.length);
    this.progress.push({ i, p });
  }

  /** Folds every logged event, as the event it stands for, and empties the log. */
  replay(run: LoggedRun, fold: RunStateFold): void {
    const { steps } = run;
    const base = { seq: 0, runId: run.runId, at: 0 };
    for (let k = 0; k < this.length; k++) {
      const entry = this.entries[k]!;
      const code = (entry & 15) as Code;
      const i = entry >> 4;
      fold.apply(eventOf(code, i, run, steps, this.progress, base));
    }
    this.length = 0;
    this.progress = [];
  }
}

function eventOf(
  code: Code,
  i: number,
  run: LoggedRun,
  steps: readonly Step[],
  progress: ReadonlyArray<{ i: number; p: Progress }>,
  base: { seq: number; runId: string; at: number },
): RunEvent {
  switch (code) {
    case LOGGED.runStarted:
      return { ...base, at: run.startedAt, type: 'run.started', nodeIds: steps.map((s) => s.nodeId) };
    case LOGGED.runFinished:
      return {
        ...base,
        at: run.finishedAt!,
        type: 'run.finished',
        status: run.status as Exclude<RunStatus, 'running'>,
        counts: {} as never,
      };
    case LOGGED.progress: {
      const { i: step, p } = progress[i]!;
      return { ...base, type: 'node.progress', nodeId: steps[step]!.nodeId, ...p };
    }
    default:
      return nodeEvent(code, i, run, steps[i]!.nodeId, base);
  }
}

function nodeEvent(
  code: Code,
  i: number,
  run: LoggedRun,
  nodeId: string,
  base: { seq: number; runId: string; at: number },
): RunEvent {
  const key = run.keys[i]!;
  switch (code) {
    case LOGGED.queued:
      return { ...base, type: 'node.queued', nodeId, key };
    case LOGGED.started:
      return { ...base, type: 'node.started', nodeId, key };
    case LOGGED.cached:
      return { ...base, type: 'node.cached', nodeId, key, outputs: run.outputs[i]! };
    case LOGGED.succeeded:
      return { ...base, type: 'node.succeeded', nodeId, key, ms: 0, outputs: run.outputs[i]! };
    case LOGGED.failed:
      return { ...base, type: 'node.failed', nodeId, error: run.errors[i]! };
    case LOGGED.skipped:
      return { ...base, type: 'node.skipped', nodeId, because: run.because[i]! };
    default:
      return { ...base, type: 'node.cancelled', nodeId };
  }
}
