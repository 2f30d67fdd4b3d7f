// The checks on what a host passes to createEngine and engine.run: misuse throws one sentence.
import { z } from 'zod';
import { describeZodIssue } from '../document';
import type { NodeRegistry } from '../node';

const fn = z.custom<(...args: never[]) => unknown>((v) => typeof v === 'function', 'expected a function');
export const EngineOptionsSchema = z.object({
  registry: z.custom<NodeRegistry>(
    (v) => v !== null && typeof v === 'object' && typeof (v as NodeRegistry).get === 'function',
    'expected a registry from createRegistry()',
  ),
  concurrency: z.number().int().min(1).optional(),
  limits: z.record(z.string(), z.number().int().min(1)).optional(),
  secrets: z.array(z.string()).optional(),
  hash: fn.optional(),
  redact: fn.optional(),
  now: fn.optional(),
  createRunId: fn.optional(),
  cancelGraceMs: z.number().int().min(0).optional(),
  claimTtlMs: z.number().int().min(3).optional(),
});
export const RunOptionsSchema = z.object({
  targets: z.array(z.string()).optional(),
  runId: z.string().min(1).optional(),
  refresh: z.union([z.literal('all'), z.array(z.string())]).optional(),
  signal: z
    .custom((v) => v !== null && typeof v === 'object' && 'aborted' in v, 'expected an AbortSignal')
    .optional(),
});

// Misuse throws one sentence naming the option, the way GraphError names the graph's problems.
export function checkOptions(schema: z.ZodType, value: unknown, where: string): void {
  const r = schema.safeParse(value);
  if (r.success) return;
  const first = r.error.issues[0]!;
  throw new TypeError(`${where}: ${describeZodIssue(first.path, first.message)}`);
}
