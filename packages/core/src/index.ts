// The API a host uses, and nothing else: the engine's parts, key rendering, store fast paths and
// small helpers stay inside the package (its tests and bench import them from their files).
export { type Admission, type AdmissionOptions, createDocumentAdmission } from './admission';
export * from './changes';
export * from './connection';
export {
  GRAPH_FORMAT,
  GRAPH_VERSION,
  type GraphDocument,
  GraphDocumentSchema,
  type GraphEdge,
  GraphEdgeSchema,
  type GraphNode,
  GraphNodeSchema,
  graphDocumentJsonSchema,
  type LoadOptions,
  loadDocument,
  MIGRATIONS,
  type Migration,
} from './document';
export { documentLimitIssues, MAX_DOCUMENT_DEPTH } from './document-limits';
export {
  createEngine,
  type Engine,
  type EngineOptions,
  type ExplainEntry,
  type ExplainReason,
  type NodeEstimate,
  type Plan,
  type PlanStep,
  type RunOptions,
} from './engine';
export * from './errors';
export * from './events';
export { canonicalJson, digestBytes, type HashFn, sha256Hex } from './hash';
export { type ImageMime, sniffImageType } from './image-type';
export { ISSUE_CODES, type Issue, type Result } from './issues';
export { deepFreeze, isJsonValue, type JsonValue, setOwn } from './json';
export * from './node';
export { type AnySchema, parseSchema } from './parse-schema';
export * from './redact';
export { createRunStateFold, initialRunState, type RunStateFold, reduceRunState } from './run-state';
export {
  type AbortControllerLike,
  type AbortSignalLike,
  CancelledError,
  type HostAbortController,
  type HostAbortSignal,
} from './signal';
export {
  type BlobRef,
  type CacheEntry,
  type CacheStore,
  type ClaimAnswer,
  createMemoryClaims,
  createMemoryStore,
  type EffectClaims,
  isBlobRef,
  type Journal,
  type JournalRecord,
  type MemoryStore,
} from './store';
export * from './types';
export { connectedTypes, validateGraph } from './validate';
