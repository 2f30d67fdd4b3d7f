import { createMemoryStore as createMemoryCache } from '@loraflow/core';
import type { RunEvent } from '../contract';
import type { RunRecord, RuntimeStore } from './types';

/**
 * A {@link RuntimeStore} in memory: for tests, for a browser tab that need not remember, and as the reference the
 * durable stores are tested against. Its cache, blobs and journal are core's memory store (entries copied and
 * deeply frozen on the way in, so a reader cannot change what the next one reads; both synchronous capabilities
 * of `CacheStore`); run records and events are copied in and out.
 *
 * @example
 * const runtime = createRuntime({ registry, store: createMemoryStore() });
 */
export function createMemoryStore(): RuntimeStore {
  const cache = createMemoryCache();
  const runs = new Map<string, RunRecord>();
  const events = new Map<string, RunEvent[]>();
  const copy = <T>(value: T): T => structuredClone(value);
  return {
    get: cache.get,
    has: cache.has,
    put: cache.put,
    delete: cache.delete,
    putBlob: cache.putBlob,
    getBlob: cache.getBlob,
    hasBlob: cache.hasBlob,
    getSync: cache.getSync,
    putFrozen: cache.putFrozen,
    claims: cache.claims,
    getRecord: cache.getRecord,
    putRecord: cache.putRecord,
    listRecords: cache.listRecords,
    async putRun(record) {
      runs.set(record.runId, copy(record));
    },
    async getRun(runId) {
      const record = runs.get(runId);
      return record ? copy(record) : undefined;
    },
    async listRuns(o) {
      const all = [...runs.values()]
        .filter((r) => o?.tenant === undefined || r.tenant === o.tenant)
        .sort((a, b) => b.createdAt - a.createdAt);
      return copy(o?.limit === undefined ? all : all.slice(0, o.limit));
    },
    async appendEvents(runId, batch) {
      const log = events.get(runId) ?? [];
      log.push(...copy(batch));
      events.set(runId, log);
    },
    async getEvents(runId, o) {
      const after = o?.after ?? Number.NEGATIVE_INFINITY;
      return copy((events.get(runId) ?? []).filter((e) => e.seq > after));
    },
    async close() {},
  };
}
