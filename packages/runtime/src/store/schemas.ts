import { type RunEvent, setOwn } from '@loraflow/core';
import { z } from 'zod/mini';
import { parseInEnglish } from '../errors';

// zod/mini, not classic: the remote client (in the editor's page) checks run records and events with these.

// What a store reads back is input like any other: a torn or foreign file must fail here, not later.
const json: z.ZodMiniType<unknown> = z.lazy(() =>
  z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(json), z.record(z.string(), json)]),
);

export const cacheEntrySchema = z.object({
  key: z.string(),
  nodeType: z.string(),
  typeVersion: z.number(),
  outputs: z.record(z.string(), json),
  createdAt: z.number(),
  runId: z.optional(z.string()),
  provenance: z.optional(z.object({ nodeId: z.string(), params: json, inputKeys: z.array(z.string()) })),
  effects: z.optional(z.array(z.string())),
});

export const journalRecordSchema = z.object({
  key: z.string(),
  state: z.enum(['intent', 'done']),
  intent: json,
  result: z.optional(json),
  at: z.number(),
  runId: z.string(),
});

/** A record keyed by node ids: z.record drops a "__proto__" key, and a node id may be any string. */
function byNodeId<T>(value: z.core.$ZodType<T>) {
  return z.pipe(
    z.custom<Record<string, unknown>>(
      (v) => v !== null && typeof v === 'object' && !Array.isArray(v),
      'expected an object',
    ),
    z.transform((v: Record<string, unknown>, ctx) => {
      const out: Record<string, T> = {};
      for (const [id, item] of Object.entries(v)) {
        const r = parseInEnglish(value, item);
        if (r.success) setOwn(out, id, r.data);
        else
          for (const i of r.error.issues)
            ctx.issues.push({ code: 'custom', message: i.message, path: [id, ...i.path], input: item });
      }
      return out;
    }),
  );
}

const outcomeSchema = z.object({
  status: z.enum(['pending', 'queued', 'running', 'succeeded', 'cached', 'failed', 'skipped', 'cancelled']),
  key: z.string(),
  outputs: z.optional(z.record(z.string(), json)),
  error: z.optional(z.object({ code: z.string(), message: z.string() })),
  because: z.optional(z.string()),
});

export const runRecordSchema = z.object({
  runId: z.string(),
  doc: z.looseObject({
    format: z.literal('loraflow.graph'),
    version: z.literal(1),
    nodes: z.array(json),
    edges: z.array(json),
  }),
  targets: z.optional(z.array(z.string())),
  status: z.enum(['running', 'succeeded', 'failed', 'cancelled']),
  createdAt: z.number(),
  startedAt: z.number(),
  updatedAt: z.number(),
  finishedAt: z.optional(z.number()),
  attempts: z.int(),
  nodes: byNodeId(outcomeSchema),
  lastSeq: z.int(),
  error: z.optional(z.object({ code: z.string(), message: z.string() })),
  lease: z.optional(z.object({ owner: z.string(), expiresAt: z.number() })),
  interrupted: z.optional(z.literal(true)),
  tenant: z.optional(z.string().check(z.minLength(1))),
  cancelRequestedAt: z.optional(z.number()),
  refresh: z.optional(z.union([z.literal('all'), z.array(z.string())])),
});

export const runEventSchema = z.looseObject({
  seq: z.int(),
  runId: z.string(),
  at: z.number(),
  type: z.string(),
});

/**
 * One event of run `runId` from its JSON text (a log line, an SSE message), or undefined when the text is torn, not
 * an event, or another run's: what the file store reads each log line with.
 *
 * @example
 * const event = eventOfRun('{"seq":1,"runId":"r1","at":0,"type":"run.started"}', 'r1'); // the event
 */
export function eventOfRun(text: string, runId: string): RunEvent | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = runEventSchema.safeParse(value);
  return parsed.success && parsed.data.runId === runId ? (parsed.data as RunEvent) : undefined;
}

/** Run ids become file and URL segments: a conservative alphabet keeps them from ever naming something else. */
export const runIdSchema = z
  .string()
  .check(z.regex(/^[A-Za-z0-9_-]{1,128}$/, 'a run id is 1-128 letters, digits, _ or -'));

/** A blob's name is its sha256 in hex. */
export const blobHashSchema = z
  .string()
  .check(z.regex(/^[0-9a-f]{64}$/, 'a blob hash is 64 lowercase hex digits'));

/**
 * Checks a value against a schema and returns the value itself (zod's copy would drop a `__proto__` key of a record),
 * throwing one sentence naming the first problem when it does not fit.
 */
export function valid<T>(schema: z.core.$ZodType, value: T): T {
  const result = parseInEnglish(schema, value);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new TypeError(
      `The store was handed a malformed record (at ${issue?.path.join('.') || 'the top'}: ${issue?.message}).`,
    );
  }
  return value;
}
