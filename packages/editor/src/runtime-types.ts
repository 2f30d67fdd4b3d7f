import type { GraphDocument } from '@loraflow/core';
// Types only: the editor programs against the runtime's contract and ships none of its code.
import type {
  ExplainEntry,
  NodeEstimate,
  RunEstimate,
  RunRecord,
  Runtime,
  RuntimeRunHandle,
} from '@loraflow/runtime/contract';

export type { ExplainEntry, NodeEstimate, RunEstimate, RunRecord };

/**
 * The part of a run handle the editor uses (`@loraflow/runtime`'s `RuntimeRunHandle` is one).
 *
 * @example
 * await store.attachRun(await runtime.resume(runId));
 */
export type RunHandleLike = Pick<RuntimeRunHandle, 'runId' | 'subscribe' | 'result' | 'cancel'>;

/**
 * The part of `@loraflow/runtime`'s `Runtime` the editor calls. Both `createRuntime` (in the page)
 * and `createRemoteRuntime` (on the host's server) satisfy it, so the component API is the same.
 *
 * @example
 * <LoraflowEditor packs={[loraPack]} runtime={createRuntime({ registry, services, store })} />
 */
export interface EditorRuntime extends Pick<Runtime, 'explain' | 'estimate' | 'getBlob'> {
  run(doc: GraphDocument, o?: { targets?: string[]; signal?: AbortSignal }): Promise<RunHandleLike>;
  cancel?: Runtime['cancel'];
  /** The providers' models, for the model picker; without it the picker says there is no catalogue. */
  models?: Runtime['models'];
  modelThumbnail?: Runtime['modelThumbnail'];
  /** Earlier runs, newest first: with `getRun`, what the run history panel lists and reopens. */
  listRuns?: Runtime['listRuns'];
  getRun?: Runtime['getRun'];
}
