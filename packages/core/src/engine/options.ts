// The checks on what a host passes to createEngine and engine.run: misuse throws one sentence.
import { z } from 'zod/mini';
import { describeZodIssue } from '../document';
import type { NodeRegistry } from '../node';
import { type AnySchema, parseSchema } from '../parse-schema';

const fn = z.optional(
  z.custom<(...args: never[]) => unknown>((v) => typeof v === 'function', 'expected a function'),
);
const count = (min: number) => z.optional(z.number().check(z.int(), z.gte(min)));
export const EngineOptionsSchema = z.object({
  registry: z.custom<NodeRegistry>(
    (v) => v !== null && typeof v === 'object' && typeof (v as NodeRegistry).get === 'function',
    'expected a registry from createRegistry()',
  ),
  concurrency: count(1),
  limits: z.optional(z.record(z.string(), z.number().check(z.int(), z.gte(1)))),
  secrets: z.optional(z.array(z.string())),
  hash: fn,
  redact: fn,
  now: fn,
  createRunId: fn,
  cancelGraceMs: count(0),
  claimTtlMs: count(3),
});
export const RunOptionsSchema = z.object({
  targets: z.optional(z.array(z.string())),
  runId: z.optional(z.string().check(z.minLength(1))),
  // zod's own sentence for a union that no option fits is a bare "Invalid input"
  refresh: z.optional(
    z.union([z.literal('all'), z.array(z.string())], 'expected "all" or a list of node ids'),
  ),
  signal: z.optional(
    z.custom((v) => v !== null && typeof v === 'object' && 'aborted' in v, 'expected an AbortSignal'),
  ),
});

// Misuse throws one sentence naming the option, the way GraphError names the graph's problems.
export function checkOptions(schema: AnySchema, value: unknown, where: string): void {
  const r = parseSchema(schema, value);
  if (r.success) return;
  const first = r.error.issues[0]!;
  throw new TypeError(`${where}: ${describeZodIssue(first.path, first.message)}`);
}
