import { createHash } from 'node:crypto';
import type { ClaimAnswer, EffectClaims, RunEvent } from '@loraflow/core';
import {
  type BlobRef,
  type CacheEntry,
  type JournalRecord,
  type RunRecord,
  type RuntimeStore,
  type StoreProblem,
  storeSchemas,
  validStoreRecord,
} from '@loraflow/runtime';
import pg from 'pg';
import { z } from 'zod';
import { checkedOptions, POSTGRES_STORE_CODES, PostgresStoreError } from './errors';
import { MIGRATIONS, migrate, quoteIdent } from './migrations';

/**
 * Options of {@link createPostgresStore}: where the database is (a connection string, or a pool the host owns), which
 * schema the tables live in, and who hears about corrupt rows.
 *
 * @example
 * createPostgresStore({ connectionString: process.env.DATABASE_URL, schema: 'loraflow', onProblem: (p) => warn(p.message) });
 */
export interface PostgresStoreOptions {
  /** A `postgres://` URL; the store opens its own pool and ends it on `close()`. */
  connectionString?: string;
  /** A `pg` pool the host owns (shared with its own queries, or a queue); `close()` leaves it open. */
  pool?: pg.Pool;
  /** The PostgreSQL schema the tables live in (default `loraflow`); created when missing. */
  schema?: string;
  /** Told about every row that does not read back as what it should be; the row is then treated as absent. */
  onProblem?: (problem: StoreProblem) => void;
}

/**
 * A {@link RuntimeStore} on PostgreSQL, plus where it lives.
 *
 * @example
 * const store = await createPostgresStore({ connectionString });
 * store.schema; // 'loraflow'
 */
export interface PostgresStore extends RuntimeStore {
  /** The PostgreSQL schema its tables live in. */
  readonly schema: string;
  /** The schema version the database is at (the last migration this package knows). */
  readonly schemaVersion: number;
  /** Effect claims in the `effect_claims` table, atomic across every process sharing the schema (decision 0031). */
  readonly claims: EffectClaims;
}

const identifier = /^[a-z_][a-z0-9_]{0,62}$/;
const optionsSchema = z
  .object({
    connectionString: z.string().min(1, 'a connection string is a postgres:// URL').optional(),
    pool: z
      .custom<pg.Pool>(
        (v) => typeof v === 'object' && v !== null && typeof (v as pg.Pool).connect === 'function',
        'a pool is a pg.Pool',
      )
      .optional(),
    schema: z
      .string()
      .regex(identifier, 'a schema name is 1-63 lowercase letters, digits or _, not starting with a digit')
      .optional(),
    onProblem: z.custom<(p: StoreProblem) => void>((v) => typeof v === 'function', 'a function').optional(),
  })
  .refine((o) => (o.connectionString === undefined) !== (o.pool === undefined), {
    message: 'give exactly one of connectionString and pool',
    path: ['connectionString'],
  });

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** PostgreSQL's unique_violation: a second insert of a key that must be unique. */
const UNIQUE_VIOLATION = '23505';

/**
 * The SQL the store sends, built once per schema. Exported for tests that ask PostgreSQL how it runs them (EXPLAIN).
 */
export function statements(schema: string) {
  const s = quoteIdent(schema);
  const newest = 'ORDER BY created_at DESC, run_id DESC LIMIT $1';
  return {
    getEntry: `SELECT entry AS value FROM ${s}.cache WHERE key = $1`,
    putEntry: `INSERT INTO ${s}.cache (key, entry) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET entry = EXCLUDED.entry`,
    deleteEntry: `DELETE FROM ${s}.cache WHERE key = $1`,
    // Content-addressed, so a present blob is kept; one whose length differs was damaged and is written again.
    putBlob: `INSERT INTO ${s}.blobs (hash, bytes) VALUES ($1, $2) ON CONFLICT (hash) DO UPDATE SET bytes = EXCLUDED.bytes
      WHERE octet_length(${s}.blobs.bytes) <> octet_length(EXCLUDED.bytes)`,
    getBlob: `SELECT bytes FROM ${s}.blobs WHERE hash = $1`,
    getRecord: `SELECT record AS value FROM ${s}.journal WHERE key = $1`,
    putRecord: `INSERT INTO ${s}.journal (key, run_id, at, record) VALUES ($1, $2, $3, $4)
      ON CONFLICT (key) DO UPDATE SET run_id = EXCLUDED.run_id, at = EXCLUDED.at, record = EXCLUDED.record`,
    listRecords: `SELECT key, record FROM ${s}.journal ORDER BY at, key`,
    listRunRecords: `SELECT key, record FROM ${s}.journal WHERE run_id = $1 ORDER BY at, key`,
    putRun: `INSERT INTO ${s}.runs (run_id, created_at, record, tenant) VALUES ($1, $2, $3, $4)
      ON CONFLICT (run_id) DO UPDATE SET created_at = EXCLUDED.created_at, record = EXCLUDED.record, tenant = EXCLUDED.tenant`,
    getRun: `SELECT record AS value FROM ${s}.runs WHERE run_id = $1`,
    listRuns: `SELECT run_id, created_at, record FROM ${s}.runs ${newest}`,
    listRunsBefore: `SELECT run_id, created_at, record FROM ${s}.runs WHERE (created_at, run_id) < ($2, $3) ${newest}`,
    listTenantRuns: `SELECT run_id, created_at, record FROM ${s}.runs WHERE tenant = $2 ${newest}`,
    listTenantRunsBefore: `SELECT run_id, created_at, record FROM ${s}.runs
      WHERE tenant = $4 AND (created_at, run_id) < ($2, $3) ${newest}`,
    // One statement per batch: a batch lands whole or not at all.
    appendEvents: `INSERT INTO ${s}.events (run_id, seq, event)
      SELECT $1, seq, event::json FROM unnest($2::bigint[], $3::text[]) AS batch(seq, event)`,
    getEvents: `SELECT seq, event FROM ${s}.events WHERE run_id = $1 ORDER BY seq`,
    getEventsAfter: `SELECT seq, event FROM ${s}.events WHERE run_id = $1 AND seq > $2 ORDER BY seq`,
    // The claim is taken when the key is free, lapsed or already the owner's, in one statement: of racing inserts
    // PostgreSQL lets one through and re-checks the WHERE of the others against the row it wrote. Times are the
    // database's clock. `prior` names whom a takeover replaced.
    acquireClaim: `WITH prior AS (SELECT owner FROM ${s}.effect_claims WHERE key = $1),
      taken AS (
        INSERT INTO ${s}.effect_claims AS c (key, owner, expires_at)
        VALUES ($1, $2, now() + $3 * interval '1 millisecond')
        ON CONFLICT (key) DO UPDATE SET owner = EXCLUDED.owner, expires_at = EXCLUDED.expires_at
          WHERE c.expires_at <= now() OR c.owner = EXCLUDED.owner
        RETURNING extract(epoch FROM expires_at) * 1000 AS expires_at
      )
      SELECT taken.expires_at::float8 AS expires_at, (SELECT owner FROM prior) AS prior FROM taken`,
    claimHolder: `SELECT owner, (extract(epoch FROM expires_at) * 1000)::float8 AS expires_at
      FROM ${s}.effect_claims WHERE key = $1`,
    renewClaim: `UPDATE ${s}.effect_claims SET expires_at = now() + $3 * interval '1 millisecond'
      WHERE key = $1 AND owner = $2`,
    releaseClaim: `DELETE FROM ${s}.effect_claims WHERE key = $1 AND owner = $2`,
  };
}

/**
 * A {@link RuntimeStore} on PostgreSQL: the cache, content-addressed blobs (`bytea`), the journal, run records and
 * each run's events, in tables of one schema. Resolves once the schema is migrated to the version this package
 * knows (in a transaction, under an advisory lock, so processes starting together apply each step once); refuses a
 * schema a newer loraflow migrated. Rows that do not read back as what they should be are reported through
 * `onProblem` and treated as absent, as the file store does with torn files.
 *
 * @example
 * import { createPostgresStore } from '@loraflow/store-postgres';
 * const store = await createPostgresStore({ connectionString: 'postgres://loraflow@db/loraflow' });
 * const runtime = createRuntime({ registry, store });
 * // ...
 * await store.close();
 */
export async function createPostgresStore(options: PostgresStoreOptions): Promise<PostgresStore> {
  checkedOptions('createPostgresStore', optionsSchema, options);
  const schema = options.schema ?? 'loraflow';
  const owned = options.pool === undefined;
  const pool = options.pool ?? new pg.Pool({ connectionString: options.connectionString });
  // An idle connection the server dropped is discarded by the pool and replaced on the next query; unheard, the
  // event would end the process.
  if (owned) pool.on('error', () => {});
  try {
    await migrate(pool, schema);
  } catch (error) {
    if (owned) await pool.end();
    throw error;
  }
  return new PostgresRuntimeStore(pool, owned, schema, options.onProblem ?? (() => {}));
}

type Check = { safeParse(v: unknown): { success: boolean } };

class PostgresRuntimeStore implements PostgresStore {
  readonly schemaVersion = MIGRATIONS.at(-1)?.version ?? 0;
  readonly #sql: ReturnType<typeof statements>;
  #closed = false;
  /** Effect claims and run take-ups, one row per key in `effect_claims` (decision 0031). */
  readonly claims: EffectClaims = {
    acquire: (key, owner, ttlMs) => this.#acquire(key, owner, ttlMs),
    renew: async (key, owner, ttlMs) =>
      ((await this.pool.query(this.#sql.renewClaim, [key, owner, ttlMs])).rowCount ?? 0) > 0,
    release: async (key, owner) => {
      await this.pool.query(this.#sql.releaseClaim, [key, owner]);
    },
  };

  constructor(
    private readonly pool: pg.Pool,
    private readonly owned: boolean,
    readonly schema: string,
    private readonly report: (problem: StoreProblem) => void,
  ) {
    this.#sql = statements(schema);
  }

  /** The row's JSON when it fits `schema` (and `fits`), else reported as corrupt at `where` and undefined. */
  #checked<T>(value: unknown, schema: Check, where: string, fits?: (v: T) => boolean): T | undefined {
    let ok: boolean;
    try {
      ok = schema.safeParse(value).success && (!fits || fits(value as T));
    } catch {
      // JSON nested deep enough to exhaust the stack while checking is not a record this store wrote.
      ok = false;
    }
    if (ok) return value as T;
    this.report({
      code: 'store.corrupt_record',
      message: 'The row does not hold the record it should; it is ignored.',
      where,
    });
    return undefined;
  }

  /** The JSON of the row under `key` (`SELECT … AS value`), checked as {@link #checked} does; undefined when absent. */
  async #read<T>(text: string, key: string, schema: Check, where: string, fits: (v: T) => boolean) {
    const row = (await this.pool.query<{ value: unknown }>(text, [key])).rows[0];
    return row && this.#checked<T>(row.value, schema, where, fits);
  }

  async #acquire(key: string, owner: string, ttlMs: number): Promise<ClaimAnswer> {
    // A holder that releases between the two statements leaves no row to name: then the claim is tried again.
    for (;;) {
      type Taken = { expires_at: number; prior: string | null };
      const taken = (await this.pool.query<Taken>(this.#sql.acquireClaim, [key, owner, ttlMs])).rows[0];
      if (taken) {
        return taken.prior !== null && taken.prior !== owner
          ? { acquired: true, expiresAt: taken.expires_at, tookOver: taken.prior }
          : { acquired: true, expiresAt: taken.expires_at };
      }
      type Holder = { owner: string; expires_at: number };
      const holder = (await this.pool.query<Holder>(this.#sql.claimHolder, [key])).rows[0];
      if (holder) return { acquired: false, heldBy: holder.owner, expiresAt: holder.expires_at };
    }
  }

  async get(key: string): Promise<CacheEntry | undefined> {
    return this.#read<CacheEntry>(
      this.#sql.getEntry,
      key,
      storeSchemas.cacheEntry,
      `cache/${key}`,
      (e) => e.key === key,
    );
  }

  async has(key: string): Promise<boolean> {
    return (await this.get(key)) !== undefined;
  }

  async put(key: string, entry: CacheEntry): Promise<void> {
    if (entry.key !== key)
      throw new Error(`cache.put: the entry's key "${entry.key}" differs from "${key}".`);
    await this.pool.query(this.#sql.putEntry, [
      key,
      JSON.stringify(validStoreRecord(storeSchemas.cacheEntry, entry)),
    ]);
  }

  async delete(key: string): Promise<void> {
    await this.pool.query(this.#sql.deleteEntry, [key]);
  }

  async putBlob(bytes: Uint8Array, mime: string): Promise<BlobRef> {
    const hash = sha256(bytes);
    // A Buffer over the same memory: pg sends Buffers as binary parameters, with no hex text in between.
    await this.pool.query(this.#sql.putBlob, [
      hash,
      Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    ]);
    return { $blob: hash, mime, size: bytes.byteLength };
  }

  async getBlob(hash: string): Promise<Uint8Array | undefined> {
    if (!storeSchemas.blobHash.safeParse(hash).success) return undefined;
    // Text results (bytea as hex): pg decodes every result row as UTF-8 text, so binary results would mangle bytes.
    const found = (await this.pool.query<{ bytes: Buffer }>(this.#sql.getBlob, [hash])).rows[0]?.bytes;
    if (!found) return undefined;
    // A copy the caller owns, never a view into the client's buffers.
    const bytes = new Uint8Array(found);
    if (sha256(bytes) !== hash) {
      this.report({
        code: 'store.corrupt_blob',
        message: 'The blob does not match its hash; it is ignored.',
        where: `blobs/${hash}`,
      });
      return undefined;
    }
    return bytes;
  }

  async getRecord(key: string): Promise<JournalRecord | undefined> {
    return this.#read<JournalRecord>(
      this.#sql.getRecord,
      key,
      storeSchemas.journalRecord,
      `journal/${key}`,
      (r) => r.key === key,
    );
  }

  async putRecord(record: JournalRecord): Promise<void> {
    const valid = validStoreRecord(storeSchemas.journalRecord, record);
    await this.pool.query(this.#sql.putRecord, [valid.key, valid.runId, valid.at, JSON.stringify(valid)]);
  }

  async listRecords(runId?: string): Promise<JournalRecord[]> {
    const { rows } =
      runId === undefined
        ? await this.pool.query<{ key: string; record: unknown }>(this.#sql.listRecords)
        : await this.pool.query<{ key: string; record: unknown }>(this.#sql.listRunRecords, [runId]);
    const records: JournalRecord[] = [];
    for (const row of rows) {
      const record = this.#checked<JournalRecord>(
        row.record,
        storeSchemas.journalRecord,
        `journal/${row.key}`,
      );
      if (record) records.push(record);
    }
    return records;
  }

  async putRun(record: RunRecord): Promise<void> {
    this.#runId(record.runId);
    const valid = validStoreRecord(storeSchemas.runRecord, record);
    await this.pool.query(this.#sql.putRun, [
      valid.runId,
      valid.createdAt,
      JSON.stringify(valid),
      valid.tenant ?? null,
    ]);
  }

  async getRun(runId: string): Promise<RunRecord | undefined> {
    if (!storeSchemas.runId.safeParse(runId).success) return undefined;
    return this.#read<RunRecord>(
      this.#sql.getRun,
      runId,
      storeSchemas.runRecord,
      `runs/${runId}`,
      (r) => r.runId === runId,
    );
  }

  async listRuns(o?: { limit?: number; tenant?: string }): Promise<RunRecord[]> {
    const limit = o?.limit;
    if (limit !== undefined && !(Number.isInteger(limit) && limit >= 0))
      throw new TypeError(`listRuns: limit must be a whole number of runs, 0 or more (got ${limit}).`);
    const runs: RunRecord[] = [];
    const tenant = o?.tenant;
    let before: [number, string] | undefined;
    // One page in the common case; a corrupt row is skipped and the next page, after it, fills the limit.
    while (limit === undefined || runs.length < limit) {
      const want = limit === undefined ? null : limit - runs.length;
      type Row = { run_id: string; created_at: number; record: unknown };
      const { rows } =
        tenant === undefined
          ? before
            ? await this.pool.query<Row>(this.#sql.listRunsBefore, [want, ...before])
            : await this.pool.query<Row>(this.#sql.listRuns, [want])
          : before
            ? await this.pool.query<Row>(this.#sql.listTenantRunsBefore, [want, ...before, tenant])
            : await this.pool.query<Row>(this.#sql.listTenantRuns, [want, tenant]);
      for (const row of rows) {
        const record = this.#checked<RunRecord>(
          row.record,
          storeSchemas.runRecord,
          `runs/${row.run_id}`,
          (r) => r.runId === row.run_id && (tenant === undefined || r.tenant === tenant),
        );
        if (record) runs.push(record);
      }
      const last = rows.at(-1);
      if (!last || want === null || rows.length < want) break;
      before = [last.created_at, last.run_id];
    }
    return runs;
  }

  async appendEvents(runId: string, events: readonly RunEvent[]): Promise<void> {
    if (events.length === 0) return;
    this.#runId(runId);
    const seqs: number[] = [];
    const texts: string[] = [];
    for (const event of events) {
      validStoreRecord(storeSchemas.runEvent, event);
      if (event.runId !== runId)
        throw new PostgresStoreError(
          POSTGRES_STORE_CODES.recordInvalid,
          'runId',
          `appendEvents: event ${event.seq} belongs to run "${event.runId}", not "${runId}".`,
        );
      seqs.push(event.seq);
      texts.push(JSON.stringify(event));
    }
    try {
      await this.pool.query(this.#sql.appendEvents, [runId, seqs, texts]);
    } catch (error) {
      if ((error as { code?: unknown }).code !== UNIQUE_VIOLATION) throw error;
      throw new PostgresStoreError(
        POSTGRES_STORE_CODES.eventSeqTaken,
        'seq',
        `appendEvents: run "${runId}" already has an event numbered ${seqs.join(' or ')}; a run's events are numbered once each, so none of this batch was kept.`,
      );
    }
  }

  async getEvents(runId: string, o?: { after?: number }): Promise<RunEvent[]> {
    if (!storeSchemas.runId.safeParse(runId).success) return [];
    const after = o?.after;
    // Sequence numbers are whole and safe integers: seq > 2.5 is seq > 2, and nothing is after NaN or beyond.
    if (after !== undefined && (Number.isNaN(after) || after >= Number.MAX_SAFE_INTEGER)) return [];
    type Row = { seq: string; event: unknown };
    const { rows } =
      after === undefined || after === Number.NEGATIVE_INFINITY
        ? await this.pool.query<Row>(this.#sql.getEvents, [runId])
        : await this.pool.query<Row>(this.#sql.getEventsAfter, [runId, String(Math.floor(after))]);
    const events: RunEvent[] = [];
    for (const row of rows) {
      const event = this.#checked<RunEvent>(
        row.event,
        storeSchemas.runEvent,
        `events/${runId}/${row.seq}`,
        (e) => e.runId === runId && String(e.seq) === row.seq,
      );
      if (event) events.push(event);
    }
    return events;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.owned) await this.pool.end();
  }

  #runId(runId: string): void {
    if (!storeSchemas.runId.safeParse(runId).success)
      throw new PostgresStoreError(
        POSTGRES_STORE_CODES.recordInvalid,
        'runId',
        `The run id "${runId}" is not 1-128 letters, digits, _ or -.`,
      );
  }
}
