import { digestBytes } from '@loraflow/core';
import { type DBSchema, type IDBPDatabase, openDB } from 'idb';
import type { BlobRef, CacheEntry, ClaimAnswer, JournalRecord, RunEvent } from '../contract';
import { cacheEntrySchema, journalRecordSchema, runEventSchema, runRecordSchema, valid } from './schemas';
import type { RunRecord, RuntimeStore, StoreProblem } from './types';

interface LoraflowDB extends DBSchema {
  cache: { key: string; value: CacheEntry };
  blobs: { key: string; value: { hash: string; bytes: Uint8Array } };
  journal: { key: string; value: JournalRecord; indexes: { runId: string } };
  runs: { key: string; value: RunRecord; indexes: { createdAt: number } };
  events: { key: [string, number]; value: RunEvent; indexes: { runId: string } };
  claims: { key: string; value: { key: string; owner: string; expiresAt: number } };
}

/**
 * Options of {@link createIndexedDbStore}.
 *
 * @example
 * createIndexedDbStore({ name: 'my-app-loraflow', onProblem: (p) => warn(p.message) });
 */
export interface IndexedDbStoreOptions {
  /** The database name (default `loraflow`). */
  name?: string;
  /** Told about every record that does not read back as what it should be; it is then treated as absent. */
  onProblem?: (problem: StoreProblem) => void;
}

/**
 * A {@link RuntimeStore} in the browser's IndexedDB: the cache, blobs, journal and run history of a runtime that runs
 * in a tab survive a reload. Each write is one IndexedDB transaction, so it lands whole or not at all.
 *
 * @example
 * const store = createIndexedDbStore({ name: 'my-app-loraflow' });
 * const runtime = createRuntime({ registry, store });
 * (long because it is the store's method table over one database handle; each method is one transaction.)
 */
export function createIndexedDbStore(options: IndexedDbStoreOptions = {}): RuntimeStore {
  // idb reaches the global factory itself; tests install one with `fake-indexeddb/auto`.
  if (typeof globalThis.indexedDB === 'undefined')
    throw new Error(
      'createIndexedDbStore: no IndexedDB in this environment; use createMemoryStore or, in Node, createFileStore.',
    );
  const report = options.onProblem ?? (() => {});
  let opened: Promise<IDBPDatabase<LoraflowDB>> | undefined;
  const db = () => {
    opened ??= openDB<LoraflowDB>(options.name ?? 'loraflow', 2, {
      upgrade(database, oldVersion) {
        if (oldVersion < 1) {
          database.createObjectStore('cache');
          database.createObjectStore('blobs', { keyPath: 'hash' });
          database.createObjectStore('journal', { keyPath: 'key' }).createIndex('runId', 'runId');
          database.createObjectStore('runs', { keyPath: 'runId' }).createIndex('createdAt', 'createdAt');
          database.createObjectStore('events', { keyPath: ['runId', 'seq'] }).createIndex('runId', 'runId');
        }
        // version 2: effect claims and run leases (decision 0031)
        if (oldVersion < 2) database.createObjectStore('claims', { keyPath: 'key' });
      },
    });
    return opened;
  };

  function checked<T>(
    value: unknown,
    schema: { safeParse(v: unknown): { success: boolean } },
    where: string,
  ): T | undefined {
    if (value === undefined) return undefined;
    if (schema.safeParse(value).success) return value as T;
    report({
      code: 'store.corrupt_record',
      message: 'The record does not hold what it should; it is ignored.',
      where,
    });
    return undefined;
  }

  /** Reads and writes one claim in one readwrite transaction: tabs sharing the database take their turns. */
  async function claimTx<T>(
    key: string,
    decide: (current: LoraflowDB['claims']['value'] | undefined) => {
      next: LoraflowDB['claims']['value'] | null | undefined;
      answer: T;
    },
  ): Promise<T> {
    const tx = (await db()).transaction('claims', 'readwrite');
    const { next, answer } = decide(await tx.store.get(key));
    if (next === null) await tx.store.delete(key);
    else if (next !== undefined) await tx.store.put(next);
    await tx.done;
    return answer;
  }

  return {
    claims: {
      acquire: (key, owner, ttlMs) =>
        claimTx<ClaimAnswer>(key, (current) => {
          const at = Date.now();
          if (current && current.owner !== owner && current.expiresAt > at)
            return {
              next: undefined,
              answer: { acquired: false, heldBy: current.owner, expiresAt: current.expiresAt },
            };
          const expiresAt = at + ttlMs;
          const answer: ClaimAnswer =
            current && current.owner !== owner
              ? { acquired: true, expiresAt, tookOver: current.owner }
              : { acquired: true, expiresAt };
          return { next: { key, owner, expiresAt }, answer };
        }),
      renew: (key, owner, ttlMs) =>
        claimTx(key, (current) =>
          current?.owner === owner
            ? { next: { key, owner, expiresAt: Date.now() + ttlMs }, answer: true }
            : { next: undefined, answer: false },
        ),
      release: (key, owner) =>
        claimTx(key, (current) => ({ next: current?.owner === owner ? null : undefined, answer: undefined })),
    },
    async get(key) {
      return checked<CacheEntry>(await (await db()).get('cache', key), cacheEntrySchema, `cache/${key}`);
    },
    async has(key) {
      return (await (await db()).getKey('cache', key)) !== undefined;
    },
    async put(key, entry) {
      await (await db()).put('cache', valid(cacheEntrySchema, entry), key);
    },
    async delete(key) {
      await (await db()).delete('cache', key);
    },
    async putBlob(bytes, mime): Promise<BlobRef> {
      // copied before hashing: the caller may change its bytes while the digest runs
      const copy = bytes.slice();
      const hash = await digestBytes(copy);
      const database = await db();
      if ((await database.getKey('blobs', hash)) === undefined)
        await database.put('blobs', { hash, bytes: copy });
      return { $blob: hash, mime, size: copy.byteLength };
    },
    async getBlob(hash) {
      const found = await (await db()).get('blobs', hash);
      if (!found) return undefined;
      const bytes = new Uint8Array(found.bytes);
      if ((await digestBytes(bytes)) !== hash) {
        report({
          code: 'store.corrupt_blob',
          message: 'The blob does not match its hash; it is ignored.',
          where: `blobs/${hash}`,
        });
        return undefined;
      }
      return bytes;
    },
    async getRecord(key) {
      return checked<JournalRecord>(
        await (await db()).get('journal', key),
        journalRecordSchema,
        `journal/${key}`,
      );
    },
    async putRecord(record) {
      await (await db()).put('journal', valid(journalRecordSchema, record));
    },
    async listRecords(runId) {
      const database = await db();
      const all =
        runId === undefined
          ? await database.getAll('journal')
          : await database.getAllFromIndex('journal', 'runId', runId);
      return all
        .filter((r) => checked<JournalRecord>(r, journalRecordSchema, `journal/${r.key}`) !== undefined)
        .sort((a, b) => a.at - b.at);
    },
    async putRun(record) {
      await (await db()).put('runs', valid(runRecordSchema, record));
    },
    async getRun(runId) {
      return checked<RunRecord>(await (await db()).get('runs', runId), runRecordSchema, `runs/${runId}`);
    },
    async listRuns(o) {
      const database = await db();
      const records: RunRecord[] = [];
      let cursor = await database.transaction('runs').store.index('createdAt').openCursor(null, 'prev');
      while (cursor && (o?.limit === undefined || records.length < o.limit)) {
        const record = checked<RunRecord>(cursor.value, runRecordSchema, `runs/${cursor.primaryKey}`);
        if (record && (o?.tenant === undefined || record.tenant === o.tenant)) records.push(record);
        cursor = await cursor.continue();
      }
      return records;
    },
    async appendEvents(_runId, events) {
      if (events.length === 0) return;
      const tx = (await db()).transaction('events', 'readwrite');
      await Promise.all([...events.map((e) => tx.store.put(e)), tx.done]);
    },
    async getEvents(runId, o) {
      const after = o?.after ?? Number.NEGATIVE_INFINITY;
      const all = await (await db()).getAllFromIndex('events', 'runId', runId);
      return all
        .filter(
          (e) =>
            e.seq > after && checked<RunEvent>(e, runEventSchema, `events/${runId}/${e.seq}`) !== undefined,
        )
        .sort((a, b) => a.seq - b.seq);
    },
    async close() {
      if (opened) (await opened).close();
      opened = undefined;
    },
  };
}
