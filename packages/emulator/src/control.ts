import { Hono } from 'hono';
import { z } from 'zod';
import { type Emulator, misbehaviourSchema } from './emulator';
import { faultRuleSchema } from './faults';
import { ROUTE_TABLE } from './routes-table';
import { json } from './vendor-errors';

/** A control-API problem: a JSON path, a stable code and a sentence. */
interface ControlIssue {
  path: Array<string | number>;
  code: string;
  message: string;
}

const problem = (status: number, code: string, message: string, issues: ControlIssue[] = []) =>
  json({ error: { code, message, issues } }, status);

const logQuerySchema = z
  .object({
    provider: z.enum(['scenario', 'modelslab', 'files', 'other']).optional(),
    route: z.string().min(1).optional(),
    method: z.string().min(1).optional(),
    status: z.coerce.number().int().min(0).max(599).optional(),
    modelId: z.string().min(1).optional(),
    since: z.coerce.number().int().min(0).optional(),
    limit: z.coerce.number().int().min(1).max(10_000).optional(),
  })
  .strict();

const faultsBodySchema = z.union([z.object({ rules: z.array(faultRuleSchema) }).strict(), faultRuleSchema]);
const advanceSchema = z
  .object({
    ms: z
      .number()
      .int()
      .min(0)
      .max(365 * 24 * 3600_000),
  })
  .strict();
const speedSchema = z.object({ speed: z.number().positive().max(100_000) }).strict();
const failSchema = z.object({ id: z.string().min(1) }).strict();

class ControlError extends Error {
  constructor(readonly response: Response) {
    super('control error');
  }
}

async function readBody<T>(req: Request, schema: z.ZodType<T>): Promise<T> {
  const text = await req.text();
  let value: unknown;
  try {
    value = text.trim() === '' ? {} : JSON.parse(text);
  } catch {
    throw new ControlError(problem(400, 'invalid_json', 'The request body is not valid JSON.'));
  }
  return validate(schema, value);
}

function validate<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => ({
    path: i.path.map((p) => (typeof p === 'number' ? p : String(p))),
    code: i.code,
    message: i.message,
  }));
  const first = issues[0];
  const where = first && first.path.length > 0 ? first.path.join('.') : 'the request';
  return (() => {
    throw new ControlError(
      problem(400, 'invalid_request', `Invalid ${where}: ${first?.message ?? 'invalid'}.`, issues),
    );
  })();
}

/**
 * The control API under `/_emulator/`: read the request log and the route table, set or clear faults,
 * move the clock, reset, read state, and fail a training on cue. No credentials: it is a local test tool.
 *
 * @example
 * await fetch(`${url}/_emulator/clock/advance`, { method: 'POST', body: JSON.stringify({ ms: 900000 }) });
 */
export function createControlRoutes(emulator: Emulator): Hono {
  const app = new Hono().basePath('/_emulator');
  app.onError((error) => {
    if (error instanceof ControlError) return error.response;
    return problem(500, 'internal', 'The emulator failed to handle this control request.');
  });

  app.get('/log', (c) => {
    const q = validate(logQuerySchema, c.req.query());
    const entries = emulator.log.entries({
      ...(q.provider !== undefined ? { provider: q.provider } : {}),
      ...(q.route !== undefined ? { route: q.route } : {}),
      ...(q.method !== undefined ? { method: q.method } : {}),
      ...(q.status !== undefined ? { status: q.status } : {}),
      ...(q.modelId !== undefined ? { modelId: q.modelId } : {}),
      ...(q.since !== undefined ? { sinceSeq: q.since } : {}),
      ...(q.limit !== undefined ? { limit: q.limit } : {}),
    });
    return json({ entries });
  });

  app.delete('/log', () => {
    emulator.log.clear();
    return json({ entries: [] });
  });

  // The route table, with each row's fault-rule glob (`:param` → `*`, a trailing `*` → `**`).
  app.get('/routes', () =>
    json({
      routes: ROUTE_TABLE.map((r) => ({
        ...r,
        fault: `${r.method} ${r.path.replace(/:[^/]+/g, '*').replace(/\*$/, '**')}`,
      })),
    }),
  );

  app.get('/faults', () => json({ rules: emulator.faults.list() }));

  app.post('/faults', async (c) => {
    const body = await readBody(c.req.raw, faultsBodySchema);
    try {
      if ('rules' in body) emulator.faults.set(body.rules);
      else emulator.faults.add(body);
    } catch (error) {
      // A regex that does not compile is the only way a schema-valid rule can still be refused.
      return problem(400, 'invalid_route', `Invalid fault route: ${(error as Error).message}.`);
    }
    return json({ rules: emulator.faults.list() });
  });

  app.delete('/faults', () => {
    emulator.faults.clear();
    return json({ rules: [] });
  });

  app.post('/clock/advance', async (c) => {
    const { ms } = await readBody(c.req.raw, advanceSchema);
    emulator.clock.advance(ms);
    return json({ clock: emulator.clock.describe() });
  });

  app.post('/clock/speed', async (c) => {
    const { speed } = await readBody(c.req.raw, speedSchema);
    emulator.clock.setSpeed(speed);
    return json({ clock: emulator.clock.describe() });
  });

  app.post('/clock/manual', () => {
    emulator.clock.setManual();
    return json({ clock: emulator.clock.describe() });
  });

  app.post('/timings', async (c) => {
    const body = await readBody(c.req.raw, z.record(z.string(), z.unknown()));
    try {
      emulator.setTimings(body);
    } catch (error) {
      return problem(400, 'invalid_timings', (error as Error).message);
    }
    return json({ timings: emulator.state().timings });
  });

  app.post('/trainings/fail', async (c) => {
    const { id } = await readBody(c.req.raw, failSchema);
    if (!emulator.failTraining(id)) {
      return problem(404, 'not_training', `No training in progress for ${id}.`, [
        { path: ['id'], code: 'not_training', message: `No training in progress for ${id}.` },
      ]);
    }
    return json({ failed: id });
  });

  app.post('/misbehave', async (c) => {
    const body = await readBody(c.req.raw, misbehaviourSchema);
    emulator.misbehave(body);
    return json({ misbehave: body });
  });

  app.post('/reset', () => {
    emulator.reset();
    return json({ reset: true, state: emulator.state() });
  });

  app.get('/state', () => json(emulator.state()));

  app.notFound((c) =>
    problem(404, 'unknown_control_route', `No control route ${c.req.method} ${new URL(c.req.url).pathname}.`),
  );
  return app;
}
