import type pg from 'pg';
import { POSTGRES_STORE_CODES, PostgresStoreError } from './errors';

/**
 * One step of the store's schema. `up` gets the quoted schema name and answers the SQL to run; steps are applied in
 * order of `version`, each once, inside the transaction that records it.
 */
export interface Migration {
  version: number;
  name: string;
  up(schema: string): string;
}

/**
 * The store's schema, step by step (decision 0030). Never edit a step that has shipped: add one.
 *
 * JSON is kept as `json` (the text as written), not `jsonb`: jsonb reorders and de-duplicates keys, and a cache
 * entry must read back exactly as it was put, `__proto__` keys included. What queries need sits in its own column.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'cache, blobs, journal, runs, events',
    up: (s) => `
      CREATE TABLE ${s}.cache (
        key text PRIMARY KEY,
        entry json NOT NULL
      );
      CREATE TABLE ${s}.blobs (
        hash text PRIMARY KEY CHECK (hash ~ '^[0-9a-f]{64}$'),
        bytes bytea NOT NULL
      );
      -- Blobs are images (PNG, already compressed): storing them out of line uncompressed spares a useless pglz pass.
      ALTER TABLE ${s}.blobs ALTER COLUMN bytes SET STORAGE EXTERNAL;
      CREATE TABLE ${s}.journal (
        key text PRIMARY KEY,
        run_id text NOT NULL,
        at double precision NOT NULL,
        record json NOT NULL
      );
      CREATE INDEX journal_by_run ON ${s}.journal (run_id, at);
      CREATE TABLE ${s}.runs (
        run_id text PRIMARY KEY,
        created_at double precision NOT NULL,
        record json NOT NULL
      );
      CREATE INDEX runs_newest_first ON ${s}.runs (created_at DESC, run_id DESC);
      CREATE TABLE ${s}.events (
        run_id text NOT NULL,
        seq bigint NOT NULL,
        event json NOT NULL,
        PRIMARY KEY (run_id, seq)
      );
    `,
  },
  {
    version: 2,
    name: 'effect claims',
    // decision 0031: one row per claimed key; the key's uniqueness is what makes a claim atomic
    up: (s) => `
      CREATE TABLE ${s}.effect_claims (
        key text PRIMARY KEY,
        owner text NOT NULL,
        expires_at timestamptz NOT NULL
      );
    `,
  },
  {
    version: 3,
    name: 'run tenants',
    // decision 0034: a tenant lists its own runs newest first without reading anyone else's; null is "no tenant"
    up: (s) => `
      ALTER TABLE ${s}.runs ADD COLUMN tenant text;
      UPDATE ${s}.runs SET tenant = record->>'tenant' WHERE record->>'tenant' IS NOT NULL;
      CREATE INDEX runs_by_tenant ON ${s}.runs (tenant, created_at DESC, run_id DESC) WHERE tenant IS NOT NULL;
    `,
  },
  {
    version: 4,
    name: 'running runs',
    // decision 0033: the workers' sweep for runs whose executor's lease lapsed reads only the runs still running
    up: (s) => `
      CREATE INDEX runs_running ON ${s}.runs (run_id) WHERE (record->>'status') = 'running';
    `,
  },
];

/** A PostgreSQL identifier quoted for SQL text (the schema name is checked to be a plain identifier before this). */
export const quoteIdent = (name: string) => `"${name.replaceAll('"', '""')}"`;

/**
 * Brings `schema` up to the last of `migrations`, in one transaction under an advisory lock held for the schema, so
 * two processes starting at once apply each step once: the second waits, then finds nothing left to do. Refuses a
 * schema a newer loraflow migrated. Answers the version found and the versions applied.
 */
export async function migrate(
  pool: pg.Pool,
  schema: string,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<{ from: number; applied: number[] }> {
  const s = quoteIdent(schema);
  const known = migrations.at(-1)?.version ?? 0;
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    // A transaction-level lock: released by COMMIT or ROLLBACK, and by the server if this connection dies.
    await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
      `loraflow.migrate.${schema}`,
    ]);
    const exists = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
    // CREATE SCHEMA IF NOT EXISTS checks the CREATE privilege even when the schema exists: only ask when missing.
    if (exists.rowCount === 0) await client.query(`CREATE SCHEMA ${s}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${s}.migrations (
         version integer PRIMARY KEY,
         name text NOT NULL,
         applied_at timestamptz NOT NULL DEFAULT now()
       )`,
    );
    const found = await client.query<{ version: number }>(
      `SELECT coalesce(max(version), 0) AS version FROM ${s}.migrations`,
    );
    const from = found.rows[0]?.version ?? 0;
    if (from > known) {
      throw new PostgresStoreError(
        POSTGRES_STORE_CODES.schemaTooNew,
        'schema',
        `The database schema "${schema}" is at version ${from}, newer than the ${known} this @loraflow/store-postgres knows: a newer loraflow migrated it. Upgrade @loraflow/store-postgres here, or give this process another schema.`,
      );
    }
    const applied: number[] = [];
    for (const migration of migrations) {
      if (migration.version <= from) continue;
      await client.query(migration.up(s));
      await client.query(`INSERT INTO ${s}.migrations (version, name) VALUES ($1, $2)`, [
        migration.version,
        migration.name,
      ]);
      applied.push(migration.version);
    }
    await client.query('COMMIT');
    client.release();
    return { from, applied };
  } catch (error) {
    // The first error is the one worth reporting; a failed ROLLBACK means the connection is gone anyway.
    await client.query('ROLLBACK').catch(() => {});
    // Destroyed rather than pooled: after a failure mid-transaction its state is not worth trusting.
    client.release(true);
    throw error;
  }
}
