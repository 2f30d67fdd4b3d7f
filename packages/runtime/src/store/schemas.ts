import { setOwn } from '@loraflow/core';
import { z } from 'zod';

// What a store reads back is input like any other: a torn or foreign file must fail here, not later.
const json: z.ZodType<unknown> = z.lazy(() =>
  z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(json), z.record(z.string(), json)]),
);

export const cacheEntrySchema = z.object({
  key: z.string(),
  nodeType: z.string(),
  typeVersion: z.number(),
  outputs: z.record(z.string(), json),
  createdAt: z.number(),
  runId: z.string().optional(),
  provenance: z.object({ nodeId: z.string(), params: json, inputKeys: z.array(z.string()) }).optional(),
  effects: z.array(z.string()).optional(),
});

export const journalRecordSchema = z.object({
  key: z.string(),
  state: z.enum(['intent', 'done']),
  intent: json,
  result: json.optional(),
  at: z.number(),
  runId: z.string(),
});

/** A record keyed by node ids: z.record drops a "__proto__" key, and a node id may be any string. */
function byNodeId<T>(value: z.ZodType<T>) {
  return z
    .custom<Record<string, unknown>>(
      (v) => v !== null && typeof v === 'object' && !Array.isArray(v),
      'expected an object',
    )
    .transform((v, ctx) => {
      const out: Record<string, T> = {};
      for (const [id, item] of Object.entries(v)) {
        const r = value.safeParse(item);
        if (r.success) setOwn(out, id, r.data);
        else
          for (const i of r.error.issues)
            ctx.addIssue({ code: 'custom', message: i.message, path: [id, ...i.path] });
      }
      return out;
    });
}

const outcomeSchema = z.object({
  status: z.enum(['pending', 'queued', 'running', 'succeeded', 'cached', 'failed', 'skipped', 'cancelled']),
  key: z.string(),
  outputs: z.record(z.string(), json).optional(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
  because: z.string().optional(),
});

export const runRecordSchema = z.object({
  runId: z.string(),
  doc: z.looseObject({
    format: z.literal('loraflow.graph'),
    version: z.literal(1),
    nodes: z.array(json),
    edges: z.array(json),
  }),
  targets: z.array(z.string()).optional(),
  status: z.enum(['running', 'succeeded', 'failed', 'cancelled']),
  createdAt: z.number(),
  startedAt: z.number(),
  updatedAt: z.number(),
  finishedAt: z.number().optional(),
  attempts: z.number().int(),
  nodes: byNodeId(outcomeSchema),
  lastSeq: z.number().int(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
  lease: z.object({ owner: z.string(), expiresAt: z.number() }).optional(),
  interrupted: z.literal(true).optional(),
  tenant: z.string().min(1).optional(),
  cancelRequestedAt: z.number().optional(),
  refresh: z.union([z.literal('all'), z.array(z.string())]).optional(),
});

export const runEventSchema = z.looseObject({
  seq: z.number().int(),
  runId: z.string(),
  at: z.number(),
  type: z.string(),
});

/** Run ids become file and URL segments: a conservative alphabet keeps them from ever naming something else. */
export const runIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,128}$/, 'a run id is 1-128 letters, digits, _ or -');

/** A blob's name is its sha256 in hex. */
export const blobHashSchema = z.string().regex(/^[0-9a-f]{64}$/, 'a blob hash is 64 lowercase hex digits');

/**
 * Checks a value against a schema and returns the value itself (zod's copy would drop a `__proto__` key of a record),
 * throwing one sentence naming the first problem when it does not fit.
 */
export function valid<T>(schema: z.ZodType, value: T): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new TypeError(
      `The store was handed a malformed record (at ${issue?.path.join('.') || 'the top'}: ${issue?.message}).`,
    );
  }
  return value;
}
