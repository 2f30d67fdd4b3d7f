export { buildCatalogue } from './catalogue';
export type { BlobRef, CacheEntry, CacheStore, Journal, JournalRecord } from './contract';
export { RUNTIME_CODES, RuntimeError } from './errors';
export { createRuntimeHandler, type RuntimeHandler, type RuntimeHandlerOptions } from './http/handler';
export { createRemoteRuntime, type RemoteRuntimeOptions } from './remote';
export { createRuntime, HEARTBEAT_MS, INTERRUPTED_AFTER_MS, type RuntimeOptions } from './runtime';
export { createIndexedDbStore, type IndexedDbStoreOptions } from './store/indexeddb';
export { createMemoryStore } from './store/memory';
export type { NodeRecord, RunRecord, RunRecordStatus, RuntimeStore, StoreProblem } from './store/types';
export type {
  CatalogueNode,
  CataloguePort,
  ExplainEntry,
  NodeCatalogue,
  NodeEstimate,
  RunEstimate,
  Runtime,
  RuntimeRunHandle,
} from './types';
