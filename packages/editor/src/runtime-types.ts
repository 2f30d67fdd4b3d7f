import type { GraphDocument } from '@loraflow/core';

/**
 * One node's answer from `explain`: whether it will run and why.
 *
 * @example
 * const entries: readonly ExplainEntry[] = await runtime.explain(doc);
 */
export interface ExplainEntry {
  nodeId: string;
  willRun: boolean;
  reason: unknown;
}

/**
 * What a run would cost: per node and in totals per unit (credits, images, minutes).
 *
 * @example
 * const { totals } = await runtime.estimate(doc); // { credits: 12 }
 */
export interface Estimate {
  nodes?: ReadonlyArray<{ nodeId: string; willRun?: boolean; cost?: unknown }>;
  totals?: Readonly<Record<string, number>>;
  /** How many nodes will run and how many come from the cache, when the runtime counts them. */
  willRun?: number;
  fromCache?: number;
  /** Nodes that will run whose cost cannot be known yet: the totals are then a lower bound. */
  unknownCosts?: number;
}

/**
 * A run event as the editor reads it (`@loraflow/core`'s RunEvent satisfies it).
 *
 * @example
 * store.onRunEvent(runId, { type: 'node.progress', nodeId: 'train', fraction: 0.4 });
 */
export interface RunEventLike {
  type: string;
  runId?: string;
  nodeId?: string;
  [field: string]: unknown;
}

/**
 * The part of a run handle the editor uses.
 *
 * @example
 * await store.attachRun(await runtime.resume(runId));
 */
export interface RunHandleLike {
  runId: string;
  subscribe(listener: (event: RunEventLike) => void): () => void;
  result: Promise<unknown>;
  cancel(): void;
}

/**
 * The part of `@loraflow/runtime`'s `Runtime` the editor calls. Both `createRuntime` (in the page)
 * and `createRemoteRuntime` (on the host's server) satisfy it, so the component API is the same.
 *
 * @example
 * <LoraflowEditor packs={[loraPack]} runtime={createRuntime({ registry, services, store })} />
 */
export interface EditorRuntime {
  explain(doc: GraphDocument, o?: { targets?: string[] }): Promise<readonly ExplainEntry[]>;
  estimate(doc: GraphDocument, o?: { targets?: string[] }): Promise<Estimate>;
  run(doc: GraphDocument, o?: { targets?: string[]; signal?: AbortSignal }): Promise<RunHandleLike>;
  cancel?(runId: string): Promise<void>;
  getBlob(hash: string): Promise<Uint8Array | undefined>;
}
