import type { z } from 'zod';

/**
 * The stable codes a PostgreSQL store refuses with; hosts may match on them.
 *
 * @example
 * if (error instanceof PostgresStoreError && error.code === POSTGRES_STORE_CODES.schemaTooNew) upgradeFirst();
 */
export const POSTGRES_STORE_CODES = {
  /** The options given to `createPostgresStore` do not fit. */
  optionsInvalid: 'store.options-invalid',
  /** The database schema was migrated by a newer loraflow than this one. */
  schemaTooNew: 'store.schema-too-new',
  /** An event was appended under a sequence number the run already has. */
  eventSeqTaken: 'store.event-seq-taken',
  /** A record handed to the store does not fit what the store keeps. */
  recordInvalid: 'store.record-invalid',
} as const;

/**
 * What a PostgreSQL store throws for a refusal it can explain: a stable code, where (an option name or a record's
 * field) and one sentence. Connection and SQL failures come through as the client's own errors.
 *
 * @example
 * try { await createPostgresStore({ connectionString }); }
 * catch (e) { if (e instanceof PostgresStoreError) exit(`${e.code} at ${e.path}: ${e.message}`); }
 */
export class PostgresStoreError extends Error {
  readonly code: (typeof POSTGRES_STORE_CODES)[keyof typeof POSTGRES_STORE_CODES];
  readonly path: string;
  constructor(code: PostgresStoreError['code'], path: string, message: string) {
    super(message);
    this.name = 'PostgresStoreError';
    this.code = code;
    this.path = path;
  }
}

/**
 * Checks options with their zod schema; the first problem is thrown as `store.options-invalid`, naming the function
 * and the option.
 *
 * @example
 * const options = checkedOptions('createRunQueue', optionsSchema, raw);
 */
export function checkedOptions<T>(fn: string, schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const path = issue?.path.join('.') || 'options';
  throw new PostgresStoreError(
    POSTGRES_STORE_CODES.optionsInvalid,
    path,
    `${fn}: ${path}: ${issue?.message ?? 'the options do not fit'}.`,
  );
}
