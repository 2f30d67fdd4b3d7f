export type { BlobRef, CacheEntry, CacheStore, Journal, JournalRecord } from './contract';
export { createIndexedDbStore, type IndexedDbStoreOptions } from './store/indexeddb';
export { createMemoryStore } from './store/memory';
export type { NodeRecord, RunRecord, RunRecordStatus, RuntimeStore, StoreProblem } from './store/types';
