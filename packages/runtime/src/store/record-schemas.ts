import {
  blobHashSchema,
  cacheEntrySchema,
  journalRecordSchema,
  runEventSchema,
  runIdSchema,
  runRecordSchema,
  valid,
} from './schemas';

/**
 * The zod schemas the runtime's own stores check records against, for a store kept elsewhere (a database): what it
 * reads back that fails its schema is reported as a {@link StoreProblem} and treated as absent, as the file store does.
 *
 * @example
 * if (!storeSchemas.cacheEntry.safeParse(row.entry).success) report({ code: 'store.corrupt_record', message, where });
 */
export const storeSchemas = {
  cacheEntry: cacheEntrySchema,
  journalRecord: journalRecordSchema,
  runRecord: runRecordSchema,
  runEvent: runEventSchema,
  /** Run ids become file and URL segments: 1-128 letters, digits, _ or -. */
  runId: runIdSchema,
  /** A blob's name: its SHA-256 as 64 lowercase hex digits. */
  blobHash: blobHashSchema,
} as const;

/**
 * Checks a record a store is about to write and returns it unchanged (zod's copy would drop a `__proto__` key), or
 * throws one sentence naming the first problem.
 *
 * @example
 * await sql.query('insert into runs values ($1, $2)', [record.runId, JSON.stringify(validStoreRecord(storeSchemas.runRecord, record))]);
 */
export const validStoreRecord: <T>(schema: (typeof storeSchemas)[keyof typeof storeSchemas], value: T) => T =
  valid;
