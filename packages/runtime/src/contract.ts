// The store and event contract comes from core (docs/decisions/0002); one import site keeps it easy to follow.
export type {
  BlobRef,
  CacheEntry,
  CacheStore,
  GraphDocument,
  Journal,
  JournalRecord,
  JsonValue,
  RunEvent,
} from '@loraflow/core';
