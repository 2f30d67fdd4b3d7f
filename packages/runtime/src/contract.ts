/**
 * The runtime's contract, as types only: what a consumer of a runtime (the editor, a host's own UI, a test
 * double) programs against, local or remote. Importing it loads no code, so a browser bundle that types
 * against it ships none of the runtime.
 *
 * @example
 * import type { Runtime, RuntimeRunHandle, RunEvent } from '@loraflow/runtime/contract';
 * const show = (handle: RuntimeRunHandle) => handle.subscribe((e: RunEvent) => console.log(e.type));
 */
// The store and event types come from core (docs/decisions/0002); this one import site keeps that easy to follow.
export type {
  BlobRef,
  CacheEntry,
  CacheStore,
  ClaimAnswer,
  EffectClaims,
  GraphDocument,
  Issue,
  Journal,
  JournalRecord,
  JsonValue,
  NodeError,
  NodeOutcome,
  NodeRunState,
  NodeStatus,
  RunEvent,
  RunEventType,
  RunResult,
  RunState,
  RunStatus,
} from '@loraflow/core';
export type { ModelPage, ModelQuery, ModelSource, ModelSourceItem, ModelSummary } from './models';
export type { NodeRecord, RunRecord, RunRecordStatus, RuntimeStore, StoreProblem } from './store/types';
export type {
  CatalogueNode,
  CataloguePort,
  ExplainEntry,
  LocalRuntime,
  NodeCatalogue,
  NodeEstimate,
  RunEstimate,
  Runtime,
  RuntimeRunHandle,
} from './types';
