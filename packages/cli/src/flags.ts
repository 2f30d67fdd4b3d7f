import { z } from 'zod';
import { CLI_CODES, CliError } from './errors';

const dir = z.string().min(1, 'a folder is required').max(4096);
const nodeId = z.string().min(1).max(200);
const port = z.coerce
  .number({ error: 'a port is a number' })
  .int('a port is an integer')
  .min(0, 'a port is 0 (any free port) or more')
  .max(65535, 'a port is at most 65535');

const count = (what: string, max: number) =>
  z.coerce
    .number({ error: `the number of ${what} is a number` })
    .int(`the number of ${what} is a whole number`)
    .min(1, `allow at least 1 of the ${what}`)
    .max(max, `allow at most ${max} ${what}`);
const ms = (what: string) =>
  z.coerce
    .number({ error: `${what} is a number of milliseconds` })
    .int(`${what} is a whole number of milliseconds`)
    .min(10, `${what} is at least 10 ms`)
    .max(3_600_000, `${what} is at most 3600000 ms (an hour)`);

/**
 * Flags of `loraflow run`.
 *
 * @example
 * parseFlags(runFlagsSchema, { out: 'out', target: ['render'] });
 */
export const runFlagsSchema = z
  .object({
    out: dir.optional(),
    store: dir.optional(),
    resume: z
      .string()
      .regex(/^[\w-]{1,200}$/, 'a run id is letters, digits, "_" and "-" (as printed when the run started)')
      .optional(),
    target: z.array(nodeId).max(1000).default([]),
    refresh: z.array(nodeId).max(1000).default([]),
    cache: z.boolean().default(true),
    json: z.boolean().default(false),
    maxPoll: z.coerce
      .number({ error: 'the poll interval is a number of milliseconds' })
      .int('the poll interval is a whole number of milliseconds')
      .min(10, 'the poll interval is at least 10 ms')
      .max(600_000, 'the poll interval is at most 600000 ms (10 minutes)')
      .optional(),
  })
  .strict();

/**
 * Flags of `loraflow runs`.
 *
 * @example
 * parseFlags(runsFlagsSchema, { limit: '5' });
 */
export const runsFlagsSchema = z
  .object({
    store: dir.optional(),
    limit: z.coerce
      .number({ error: 'the number of runs to list is a number' })
      .int('the number of runs to list is a whole number')
      .min(1, 'list at least 1 run')
      .max(1000, 'list at most 1000 runs')
      .default(20),
    json: z.boolean().default(false),
  })
  .strict();

/**
 * Flags of `loraflow estimate`.
 *
 * @example
 * parseFlags(estimateFlagsSchema, { json: true });
 */
export const estimateFlagsSchema = z
  .object({
    store: dir.optional(),
    target: z.array(nodeId).max(1000).default([]),
    json: z.boolean().default(false),
  })
  .strict();

/**
 * Flags of `loraflow validate`.
 *
 * @example
 * parseFlags(validateFlagsSchema, {});
 */
export const validateFlagsSchema = z.object({ json: z.boolean().default(false) }).strict();

/**
 * Flags of `loraflow schema`.
 *
 * @example
 * parseFlags(schemaFlagsSchema, { out: 'schema.json' });
 */
export const schemaFlagsSchema = z.object({ out: z.string().min(1).max(4096).optional() }).strict();

const database = z
  .string()
  .max(4096)
  .regex(
    /^postgres(ql)?:\/\/\S+$/,
    'the database is a postgres:// URL, e.g. postgres://user:password@host:5432/db',
  );
const lease = z.coerce
  .number({ error: 'the lease is a number of milliseconds' })
  .int('the lease is a whole number of milliseconds')
  .min(300, 'the lease is at least 300 ms (a worker renews it at a third)')
  .max(3_600_000, 'the lease is at most 3600000 ms (an hour)');
const workers = (what: string) =>
  z.coerce
    .number({ error: `the number of ${what} is a number` })
    .int(`the number of ${what} is a whole number`)
    .min(0, `the number of ${what} is 0 or more`)
    .max(1000, `at most 1000 ${what}`);

const publicUrl = z.url({
  protocol: /^https?$/,
  error: 'the public URL is where providers reach loraflow serve, such as https://flows.example',
});
const tenantsFile = z.string().min(1, 'a tenants file is required').max(4096);

/**
 * Flags of `loraflow worker`.
 *
 * @example
 * parseFlags(workerFlagsSchema, { database: 'postgres://db/loraflow', concurrency: '4' });
 */
export const workerFlagsSchema = z
  .object({
    database: database,
    concurrency: workers('runs executed at once')
      .min(1, 'a worker executes at least 1 run at a time')
      .default(8),
    lease: lease.optional(),
    store: dir.optional(),
    filesRoot: dir.optional(),
    maxPoll: ms('the poll interval').optional(),
    tenants: tenantsFile.optional(),
    publicUrl: publicUrl.optional(),
  })
  .strict();

/**
 * Flags of `loraflow serve`.
 *
 * @example
 * parseFlags(serveFlagsSchema, { port: '0' }); // { port: 0, host: '127.0.0.1' }
 */
export const serveFlagsSchema = z
  .object({
    port: port.default(8787),
    host: z.string().min(1).max(255).default('127.0.0.1'),
    store: dir.optional(),
    filesRoot: dir.optional(),
    allowOrigin: z
      .array(z.url({ protocol: /^https?$/, error: 'an origin is a URL such as https://app.example' }))
      .max(64)
      .default([]),
    allowHost: z.array(z.string().min(1).max(255)).max(64).default([]),
    maxConnections: count('open connections', 1_000_000).optional(),
    maxStreams: count('event streams', 1_000_000).optional(),
    headersTimeout: ms('the header timeout').optional(),
    requestTimeout: ms('the request timeout').optional(),
    maxPoll: ms('the poll interval').optional(),
    publicUrl: publicUrl.optional(),
    tenants: tenantsFile.optional(),
    database: database.optional(),
    workers: workers('workers').optional(),
    lease: lease.optional(),
  })
  .strict()
  .refine((f) => (f.headersTimeout ?? 10_000) <= (f.requestTimeout ?? 60_000), {
    message: 'the header timeout cannot be longer than the request timeout (headers are part of the request)',
    path: ['headersTimeout'],
  })
  .superRefine((f, ctx) => {
    if (f.database !== undefined) return;
    for (const flag of ['workers', 'lease'] as const) {
      if (f[flag] === undefined) continue;
      ctx.addIssue({
        code: 'custom',
        path: [flag],
        message: `--${flag} goes with --database (without it, serve executes runs itself, on the file store)`,
      });
    }
  });

/**
 * Flags of `loraflow emulator`.
 *
 * @example
 * parseFlags(emulatorFlagsSchema, { port: '8790', speed: '60' });
 */
export const emulatorFlagsSchema = z
  .object({
    port: port.default(8790),
    speed: z.coerce
      .number({ error: 'the speed is a number' })
      .positive('the speed is above 0')
      .max(1_000_000, 'the speed is at most 1000000')
      .default(1),
    seed: z.coerce.number().int().optional(),
  })
  .strict();

const kebab = (name: string) => `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/**
 * Checks a command's flags with its zod schema; the first problem is refused with the flag's name, `flag.invalid`
 * and the schema's sentence.
 *
 * @example
 * const flags = parseFlags(runFlagsSchema, { maxPoll: '50' }); // { maxPoll: 50, target: [], json: false }
 */
export function parseFlags<S extends z.ZodType>(schema: S, raw: unknown): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const flag = typeof issue.path[0] === 'string' ? kebab(issue.path[0]) : 'flags';
  const message =
    issue.code === 'unrecognized_keys' ? `unknown flag ${issue.keys.map(kebab).join(', ')}` : issue.message;
  throw new CliError(CLI_CODES.flagInvalid, [flag], `${message.charAt(0).toUpperCase()}${message.slice(1)}.`);
}
