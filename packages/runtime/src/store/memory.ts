import type { BlobRef, CacheEntry, JournalRecord, RunEvent } from '../contract';
import { sha256Hex } from './hash';
import type { RunRecord, RuntimeStore } from './types';

/**
 * A {@link RuntimeStore} in memory: for tests, for a browser tab that need not remember, and as the reference the
 * durable stores are tested against. Values are copied in and out, so a caller cannot change what is stored.
 *
 * @example
 * const runtime = createRuntime({ registry, store: createMemoryStore() });
 */
export function createMemoryStore(): RuntimeStore {
  const entries = new Map<string, CacheEntry>();
  const blobs = new Map<string, Uint8Array>();
  const journal = new Map<string, JournalRecord>();
  const runs = new Map<string, RunRecord>();
  const events = new Map<string, RunEvent[]>();
  const copy = <T>(value: T): T => structuredClone(value);
  return {
    async get(key) {
      const entry = entries.get(key);
      return entry ? copy(entry) : undefined;
    },
    async has(key) {
      return entries.has(key);
    },
    async put(key, entry) {
      entries.set(key, copy(entry));
    },
    async delete(key) {
      entries.delete(key);
    },
    async putBlob(bytes, mime): Promise<BlobRef> {
      const hash = await sha256Hex(bytes);
      if (!blobs.has(hash)) blobs.set(hash, bytes.slice());
      return { $blob: hash, mime, size: bytes.byteLength };
    },
    async getBlob(hash) {
      return blobs.get(hash)?.slice();
    },
    async getRecord(key) {
      const record = journal.get(key);
      return record ? copy(record) : undefined;
    },
    async putRecord(record) {
      journal.set(record.key, copy(record));
    },
    async listRecords(runId) {
      return [...journal.values()].filter((r) => runId === undefined || r.runId === runId).map(copy);
    },
    async putRun(record) {
      runs.set(record.runId, copy(record));
    },
    async getRun(runId) {
      const record = runs.get(runId);
      return record ? copy(record) : undefined;
    },
    async listRuns(o) {
      const all = [...runs.values()].sort((a, b) => b.createdAt - a.createdAt);
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
