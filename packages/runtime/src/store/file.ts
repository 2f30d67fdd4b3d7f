import { createHash, randomUUID } from 'node:crypto';
import { type Dirent, readFileSync } from 'node:fs';
import { appendFile, mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { canonicalJson } from '@loraflow/core';
import type { BlobRef, CacheEntry, JournalRecord, RunEvent } from '../contract';
import { createFileClaims } from './file-claims';
import { RunIndex } from './run-index';
import {
  blobHashSchema,
  cacheEntrySchema,
  eventOfRun,
  journalRecordSchema,
  runIdSchema,
  runRecordSchema,
  valid,
} from './schemas';
import type { RunRecord, RuntimeStore, StoreProblem } from './types';

/**
 * Options of {@link createFileStore}.
 *
 * @example
 * createFileStore({ dir: '.loraflow', onProblem: (p) => warn(`${p.code} at ${p.where}`) });
 */
export interface FileStoreOptions {
  /** The directory the store lives in; created when missing. */
  dir: string;
  /** Told about every torn or corrupt file met on reading; the file is then treated as absent. */
  onProblem?: (problem: StoreProblem) => void;
  /** fsync every write and its directory (default true). Turn off only for throwaway stores: a crash may then lose writes. */
  durable?: boolean;
}

const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');

/** The digest an entry file carries of everything else it says (entries written before it have none). */
const integrityOf = (entry: CacheEntry) => sha256(canonicalJson(entry));

/**
 * An entry whose file holds its key and still matches the digest written with it; anything else (another key's
 * entry, a hand edit, a damaged copy) is a miss and a reported problem, never another node's result.
 */
async function readCacheEntry(files: StoreFiles, file: string, key: string): Promise<CacheEntry | undefined> {
  const stored = await files.readJson<CacheEntry & { integrity?: string }>(
    file,
    cacheEntrySchema,
    (e) => e.key === key && (e.integrity === undefined || e.integrity === integrityOf(withoutIntegrity(e))),
  );
  return stored && withoutIntegrity(stored);
}

function withoutIntegrity(stored: CacheEntry & { integrity?: string }): CacheEntry {
  const { integrity: _, ...entry } = stored;
  return entry;
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  // A directory where a record should be is no record either (EISDIR); permission errors still throw.
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR';
}

/**
 * The file store: a {@link RuntimeStore} plus housekeeping only files need.
 *
 * @example
 * const store = createFileStore({ dir: '.loraflow' });
 * await store.sweep(); // temp files older than an hour, left by killed writers
 */
export interface FileStore extends RuntimeStore {
  /**
   * Removes temporary files that writers killed mid-write left behind (they are never read). Only files older than
   * `olderThanMs` (default one hour) go, so a write in flight in another process is never pulled from under it.
   * Answers how many were removed.
   */
  sweep(o?: { olderThanMs?: number }): Promise<number>;
}

/**
 * A {@link RuntimeStore} on the file system, for Node. Every entry, journal record and run record is one file written
 * atomically (temporary file, fsync, rename, fsync of the directory), so a process killed at any moment leaves each
 * entry either absent or whole. Blobs are content-addressed (`blobs/ab/<sha256>`) and verified on reading. A torn or
 * corrupt file left by an older crash is reported through `onProblem` and read as absent, never thrown.
 *
 * @example
 * import { createFileStore } from '@loraflow/runtime/node';
 * const store = createFileStore({ dir: '.loraflow', onProblem: (p) => report(p.message) });
 * const runtime = createRuntime({ registry, store });
 */
export function createFileStore(options: FileStoreOptions): FileStore {
  if (typeof options?.dir !== 'string' || options.dir.trim() === '') {
    throw new TypeError('createFileStore: dir must be the path of the directory the store lives in.');
  }
  const root = options.dir;
  const report = options.onProblem ?? (() => {});
  const files = new StoreFiles(root, options.durable ?? true, report);
  const fanned = (kind: string, name: string, ext: string) =>
    join(root, kind, name.slice(0, 2), `${name}${ext}`);
  const entryFile = (key: string) => fanned('cache', sha256(key), '.json');
  const journalFile = (key: string) => fanned('journal', sha256(key), '.json');
  const blobFile = (hash: string) => fanned('blobs', hash, '');
  const runFile = (runId: string) => join(root, 'runs', `${runIdSchema.parse(runId)}.json`);
  const eventsFile = (runId: string) => join(root, 'events', `${runIdSchema.parse(runId)}.ndjson`);
  const readRun = (runId: string) =>
    files.readJson<RunRecord>(runFile(runId), runRecordSchema, (r) => r.runId === runId);
  const runIndex = new RunIndex(join(root, 'run-index'), {
    ensureDir: (dir) => files.ensureDir(dir),
    syncDir: (dir) => files.syncDir(dir),
    readRun,
    async scanRuns() {
      const records: RunRecord[] = [];
      for (const file of await files.filesUnder(join(root, 'runs'))) {
        const record = await files.readJson<RunRecord>(file, runRecordSchema);
        if (record) records.push(record);
      }
      return records;
    },
  });

  const readEntry = (key: string) => readCacheEntry(files, entryFile(key), key);

  return {
    // atomic across processes sharing the folder (decision 0031)
    claims: createFileClaims(root),
    async get(key) {
      return readEntry(key);
    },
    async has(key) {
      return (await readEntry(key)) !== undefined;
    },
    async put(key, entry) {
      if (entry.key !== key)
        throw new Error(`cache.put: the entry's key "${entry.key}" differs from "${key}".`);
      const checked = valid(cacheEntrySchema, entry);
      await files.writeAtomic(
        entryFile(key),
        JSON.stringify({ ...checked, integrity: integrityOf(checked) }),
      );
    },
    async delete(key) {
      await rm(entryFile(key), { force: true });
    },
    async putBlob(bytes, mime): Promise<BlobRef> {
      const hash = sha256(bytes);
      const file = blobFile(hash);
      const existing = await stat(file).catch(() => undefined);
      if (existing?.size !== bytes.byteLength) await files.writeAtomic(file, bytes);
      return { $blob: hash, mime, size: bytes.byteLength };
    },
    async hasBlob(hash) {
      if (!blobHashSchema.safeParse(hash).success) return false;
      // a stat, not a read: a cache hit checks its images this way on every run
      const found = await stat(blobFile(hash)).catch(() => undefined);
      return found?.isFile() === true && found.size > 0;
    },
    async getBlob(hash) {
      if (!blobHashSchema.safeParse(hash).success) return undefined;
      const file = blobFile(hash);
      let bytes: Uint8Array;
      try {
        bytes = new Uint8Array(await readFile(file));
      } catch (error) {
        if (isMissing(error)) return undefined;
        throw error;
      }
      if (sha256(bytes) !== hash) {
        report({
          code: 'store.corrupt_blob',
          message: 'The blob does not match its hash; it is ignored.',
          where: files.rel(file),
        });
        return undefined;
      }
      return bytes;
    },
    async getRecord(key) {
      return files.readJson<JournalRecord>(journalFile(key), journalRecordSchema, (r) => r.key === key);
    },
    async putRecord(record) {
      await files.writeAtomic(journalFile(record.key), JSON.stringify(valid(journalRecordSchema, record)));
    },
    async listRecords(runId) {
      const records: JournalRecord[] = [];
      for (const file of await files.filesUnder(join(root, 'journal'))) {
        const record = await files.readJson<JournalRecord>(file, journalRecordSchema);
        if (record && (runId === undefined || record.runId === runId)) records.push(record);
      }
      return records.sort((a, b) => a.at - b.at);
    },
    async putRun(record) {
      // the marker before the record: a listed run may lack its record (skipped), never the other way round
      const text = JSON.stringify(valid(runRecordSchema, record));
      await runIndex.add(runIdSchema.parse(record.runId), record.createdAt);
      await files.writeAtomic(runFile(record.runId), text);
    },
    async getRun(runId) {
      if (!runIdSchema.safeParse(runId).success) return undefined;
      return readRun(runId);
    },
    async listRuns(o) {
      return runIndex.list(o?.limit, o?.tenant);
    },
    async appendEvents(runId, events) {
      if (events.length === 0) return;
      const file = eventsFile(runId);
      await files.ensureDir(dirname(file));
      // Leading newline: a line torn by a crash can never swallow the first event appended after it.
      await appendFile(file, `\n${events.map((e) => JSON.stringify(e)).join('\n')}`);
    },
    async getEvents(runId, o) {
      if (!runIdSchema.safeParse(runId).success) return [];
      let text: string;
      try {
        text = await readFile(eventsFile(runId), 'utf8');
      } catch (error) {
        if (isMissing(error)) return [];
        throw error;
      }
      return parseEvents(text, runId, o?.after ?? Number.NEGATIVE_INFINITY, () =>
        report({
          code: 'store.corrupt_event',
          message: 'An event line is torn or foreign; it is skipped.',
          where: files.rel(eventsFile(runId)),
        }),
      );
    },
    async sweep(o = {}) {
      return sweepTemporary(root, o.olderThanMs ?? 3_600_000);
    },
    async close() {},
  };
}

/**
 * The store's directory: atomic, durable writes, reads that report what is torn or foreign instead of throwing,
 * listings. Every method of the file store goes through it.
 */
class StoreFiles {
  readonly root: string;
  private readonly durable: boolean;
  private readonly report: (problem: StoreProblem) => void;
  private readonly knownDirs = new Set<string>();

  constructor(root: string, durable: boolean, report: (problem: StoreProblem) => void) {
    this.root = root;
    this.durable = durable;
    this.report = report;
  }

  async syncDir(dir: string): Promise<void> {
    if (!this.durable) return;
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } catch (error) {
      // Some platforms (Windows) refuse to fsync a directory; the rename is still atomic there.
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL') throw error;
    } finally {
      await handle.close();
    }
  }

  async ensureDir(dir: string): Promise<void> {
    if (this.knownDirs.has(dir)) return;
    const created = await mkdir(dir, { recursive: true });
    // A new directory is itself an entry of its parent: make it durable before files inside it count on it.
    if (created !== undefined) {
      let at = dir;
      while (at !== this.root && at.length >= created.length) {
        await this.syncDir(dirname(at));
        at = dirname(at);
      }
    }
    this.knownDirs.add(dir);
  }

  async writeAtomic(file: string, data: string | Uint8Array): Promise<void> {
    const dir = dirname(file);
    await this.ensureDir(dir);
    const temp = `${file}.${randomUUID()}.tmp`;
    const handle = await open(temp, 'wx');
    try {
      try {
        await handle.writeFile(data);
        if (this.durable) await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, file);
    } catch (error) {
      // a write that failed (a full disk) leaves nothing behind: its half-written temporary file goes too
      await rm(temp, { force: true }).catch(() => {});
      throw error;
    }
    await this.syncDir(dir);
  }

  async readJson<T>(
    file: string,
    schema: { safeParse(v: unknown): { success: true; data: unknown } | { success: false } },
    check?: (value: T) => boolean,
  ): Promise<T | undefined> {
    let text: string;
    try {
      // Records are small: a sync read costs ~0.07 ms where fs.promises.readFile costs ~0.5 ms of thread-pool
      // round trips (bench/store.bench.ts), and a warm re-run reads one record per node, in sequence.
      text = readFileSync(file, 'utf8');
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      this.report({
        code: 'store.corrupt_record',
        message: `The file is not whole JSON (a torn write?); it is ignored.`,
        where: this.rel(file),
      });
      return undefined;
    }
    // The parsed JSON is returned, not zod's copy: zod rebuilds records and would drop a `__proto__` key.
    let fits: boolean;
    try {
      fits = schema.safeParse(parsed).success && (!check || check(parsed as T));
    } catch {
      // JSON nested deep enough to exhaust the stack while checking is not a record this store wrote.
      fits = false;
    }
    if (!fits) {
      this.report({
        code: 'store.corrupt_record',
        message: `The file does not hold the record it should; it is ignored.`,
        where: this.rel(file),
      });
      return undefined;
    }
    return parsed as T;
  }

  /** A file's path inside the store, with forward slashes (what problems report). */
  rel(file: string): string {
    return file
      .slice(this.root.length + 1)
      .split('\\')
      .join('/');
  }

  /** The finished files below a directory (temporary ones left out). */
  async filesUnder(dir: string): Promise<string[]> {
    try {
      const found = await readdir(dir, { recursive: true, withFileTypes: true });
      return found
        .filter((d) => d.isFile() && !d.name.endsWith('.tmp'))
        .map((d) => join(d.parentPath, d.name));
    } catch (error) {
      if (isMissing(error)) return [];
      throw error;
    }
  }
}

/** The events of a run's log after `after`, skipping (and telling `onTorn` about) each torn or foreign line. */
function parseEvents(text: string, runId: string, after: number, onTorn: () => void): RunEvent[] {
  const events: RunEvent[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const event = eventOfRun(line, runId);
    if (!event) {
      onTorn();
      continue;
    }
    if (event.seq > after) events.push(event);
  }
  return events;
}

/** Removes the temporary files older than `olderThanMs` below `root`; answers how many went. */
async function sweepTemporary(root: string, olderThanMs: number): Promise<number> {
  const cutoff = Date.now() - olderThanMs;
  let removed = 0;
  let found: Dirent[];
  try {
    found = await readdir(root, { recursive: true, withFileTypes: true });
  } catch (error) {
    if (isMissing(error)) return 0;
    throw error;
  }
  for (const d of found) {
    if (!d.isFile() || !d.name.endsWith('.tmp')) continue;
    const file = join(d.parentPath, d.name);
    const info = await stat(file).catch(() => undefined);
    if (info && info.mtimeMs < cutoff) {
      await rm(file, { force: true });
      removed++;
    }
  }
  return removed;
}
