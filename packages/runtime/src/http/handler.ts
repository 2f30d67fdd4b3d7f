import type { RunEvent } from '@loraflow/core';
import { type Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { z } from 'zod';
import { issuesOf, RUNTIME_CODES, RuntimeError } from '../errors';
import { blobHashSchema } from '../store/schemas';
import type { Runtime } from '../types';
import type { WebhookReceiver } from '../webhooks';
import { guardMiddlewares, type HandlerGuards } from './guards';
import { registerModelRoutes } from './models-routes';
import { sniffMime } from './sniff';
import { type CredentialsHook, type TenantVariables, tenantMiddleware } from './tenant';
import { mountWebhooks } from './webhooks';

/**
 * Options of {@link createRuntimeHandler}.
 *
 * @example
 * createRuntimeHandler(runtime, { maxBodyBytes: 4 * 1024 * 1024, heartbeatMs: 10_000, authorize: isSignedIn });
 */
export interface RuntimeHandlerOptions extends HandlerGuards {
  /** Largest request body accepted, in bytes (default 16 MiB: graphs may carry training images as data URLs). */
  maxBodyBytes?: number;
  /** How often an idle event stream sends a comment line, so proxies keep it open (default 15 s). */
  heartbeatMs?: number;
  /** Asked before every request; answer false to refuse it with 401 (the host's own session check). */
  authorize?: (request: Request) => boolean | Promise<boolean>;
  /**
   * Asked after `authorize`: which tenant the request acts for and the provider keys its runs spend (decision 0034).
   * Every route then serves that tenant's view (`runtime.forTenant`): its own runs and blobs only, another's are 404.
   * Undefined or a throw is `401 tenant.unauthorized`; a wrong shape `403 tenant.credentials-invalid`. Needs a runtime
   * created with a `tenants` option. Read the request's headers only: its body belongs to the route. See
   * docs/multi-tenant.md.
   */
  credentials?: CredentialsHook;
  /** The path the routes live under when the host's router passes full paths through (e.g. `/loraflow`). */
  basePath?: string;
  /** Event streams open at once; one more is answered `503 server.busy` (default 256). */
  maxStreams?: number;
  /** Receives provider callbacks at `POST /hooks/…` (outside the guards: its URL token is the proof); see webhooks.ts. */
  webhooks?: WebhookReceiver;
}

/**
 * A `fetch`-shaped handler: mount it in any server that speaks `Request` and `Response`.
 *
 * @example
 * app.mount('/loraflow', createRuntimeHandler(runtime)); // inside a hono app
 */
export type RuntimeHandler = (request: Request) => Promise<Response>;

const graphBody = z.object({
  graph: z.unknown().refine((v) => v !== undefined, 'a graph is required'),
  targets: z.array(z.string().min(1)).max(10_000).optional(),
});
const runBody = graphBody.extend({
  refresh: z.union([z.literal('all'), z.array(z.string().min(1)).max(10_000)]).optional(),
});
const validateBody = z.object({ graph: z.unknown() });
const listQuery = z.object({ limit: z.coerce.number().int().min(1).max(1000).optional() });
const afterValue = z.coerce.number().int().min(0);

function problem(code: string, message: string, issues?: unknown): { error: Record<string, unknown> } {
  return { error: issues === undefined ? { code, message } : { code, message, issues } };
}

const zodIssues = (error: z.ZodError) => issuesOf(error.issues, RUNTIME_CODES.requestInvalid);

/**
 * The runtime's HTTP API as a `Request → Response` handler (built on hono): create, list, read, cancel and resume
 * runs; stream a run's events as server-sent events (each with `id: seq`, replayed from `Last-Event-ID` on
 * reconnection, a heartbeat while idle, `event: end` when the run has finished); validate, explain and estimate
 * graphs; the node catalogue; stored blobs. Errors are `{ error: { code, message, issues? } }` with a fitting status.
 *
 * @example
 * import { serve } from '@hono/node-server';
 * const handler = createRuntimeHandler(runtime, { authorize: (req) => sessionOk(req) });
 * serve({ fetch: handler, port: 8787, hostname: '127.0.0.1' });
 */
// long because it is the route table: one short handler per route, all registered on one app that shares the options
export function createRuntimeHandler(runtime: Runtime, options: RuntimeHandlerOptions = {}): RuntimeHandler {
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const maxStreams = options.maxStreams ?? 256;
  let openStreams = 0;
  type Env = { Variables: TenantVariables };
  const app = options.basePath ? new Hono<Env>().basePath(options.basePath) : new Hono<Env>();
  /** The runtime as this request's tenant sees it, when the host names tenants; else the runtime itself. */
  const runtimeOf = (c: Context<Env>): Runtime => c.get('runtime') ?? runtime;

  app.onError((error, c) => {
    if (error instanceof RuntimeError) {
      return c.json(problem(error.code, error.message, error.issues), error.status as ContentfulStatusCode);
    }
    // Unknown failures are not echoed: their text may hold anything; the code says where to look.
    return c.json(problem(RUNTIME_CODES.internal, 'The runtime failed to answer this request.'), 500);
  });
  app.notFound((c) =>
    c.json(
      problem(
        RUNTIME_CODES.routeNotFound,
        `There is no ${c.req.method} ${new URL(c.req.url).pathname} here.`,
      ),
      404,
    ),
  );

  if (options.webhooks) mountWebhooks(app, options.webhooks, problem);
  // Who may call comes before anything else the handler does (see guards.ts for the order).
  for (const guard of guardMiddlewares(options, problem)) app.use('*', guard);

  if (options.authorize) {
    const authorize = options.authorize;
    app.use('*', async (c, next) => {
      if (await authorize(c.req.raw)) return next();
      return c.json(problem('request.unauthorized', 'This request is not allowed to use the runtime.'), 401);
    });
  }
  if (options.credentials) app.use('*', tenantMiddleware(runtime, options.credentials, problem));
  app.use(
    '*',
    bodyLimit({
      maxSize: options.maxBodyBytes ?? 16 * 1024 * 1024,
      onError: (c) =>
        c.json(
          problem(
            RUNTIME_CODES.requestTooLarge,
            `The request body is larger than ${options.maxBodyBytes ?? 16 * 1024 * 1024} bytes.`,
          ),
          413,
        ),
    }),
  );

  async function body<T>(request: Request, schema: z.ZodType<T>): Promise<T> {
    let parsed: unknown;
    try {
      parsed = await request.json();
    } catch {
      throw new RuntimeError(RUNTIME_CODES.requestInvalid, 'The request body is not valid JSON.');
    }
    const result = schema.safeParse(parsed);
    if (!result.success) {
      const issues = zodIssues(result.error);
      throw new RuntimeError(
        RUNTIME_CODES.requestInvalid,
        `The request body is not what this route takes (at ${issues[0]?.path.join('.') || 'the top'}: ${issues[0]?.message}).`,
        issues,
      );
    }
    return result.data;
  }

  const runId = (value: string) => {
    if (!/^[A-Za-z0-9_-]{1,128}$/.test(value)) {
      throw new RuntimeError(
        RUNTIME_CODES.runNotFound,
        'There is no run with that id: run ids are letters, digits, _ and -.',
      );
    }
    return value;
  };

  app.post('/runs', async (c) => {
    const { graph, targets, refresh } = await body(c.req.raw, runBody);
    const handle = await runtimeOf(c).run(graph as never, {
      ...(targets ? { targets } : {}),
      ...(refresh ? { refresh } : {}),
    });
    // The run outlives this request; its outcome is recorded in the store, not answered here.
    handle.result.catch(() => {});
    return c.json({ runId: handle.runId, after: handle.after }, 201);
  });

  app.get('/runs', async (c) => {
    const query = listQuery.safeParse(c.req.query());
    if (!query.success) {
      throw new RuntimeError(
        RUNTIME_CODES.requestInvalid,
        'limit must be a whole number from 1 to 1000.',
        zodIssues(query.error),
      );
    }
    return c.json({
      runs: await runtimeOf(c).listRuns(query.data.limit !== undefined ? { limit: query.data.limit } : {}),
    });
  });

  app.get('/runs/:id', async (c) => {
    const id = runId(c.req.param('id'));
    const record = await runtimeOf(c).getRun(id);
    if (!record) throw new RuntimeError(RUNTIME_CODES.runNotFound, `There is no run "${id}".`);
    return c.json(record);
  });

  app.post('/runs/:id/cancel', async (c) => {
    const id = runId(c.req.param('id'));
    await runtimeOf(c).cancel(id);
    const status = (await runtimeOf(c).getRun(id))?.status ?? 'cancelled';
    // still running: another process executes it and was asked to cancel it (decision 0032); it stops within a beat
    if (status === 'running') return c.json({ runId: id, status, cancelRequested: true }, 202);
    return c.json({ runId: id, status });
  });

  app.post('/runs/:id/resume', async (c) => {
    const id = runId(c.req.param('id'));
    const handle = await runtimeOf(c).resume(id);
    handle.result.catch(() => {});
    return c.json({ runId: id, after: handle.after }, 202);
  });

  app.get('/runs/:id/events', async (c) => {
    const id = runId(c.req.param('id'));
    const raw = c.req.header('last-event-id') ?? c.req.query('after') ?? '0';
    const after = afterValue.safeParse(raw);
    if (!after.success) {
      throw new RuntimeError(
        RUNTIME_CODES.requestInvalid,
        'Last-Event-ID (or after) must be a whole number, the seq of the last event seen.',
      );
    }
    if (!(await runtimeOf(c).getRun(id)))
      throw new RuntimeError(RUNTIME_CODES.runNotFound, `There is no run "${id}".`);
    if (openStreams >= maxStreams) {
      return c.json(problem('server.busy', 'Too many event streams are open; try again shortly.'), 503, {
        'retry-after': '5',
      });
    }
    openStreams++;
    let counted = true;
    const release = () => {
      if (counted) openStreams--;
      counted = false;
    };
    const controller = new AbortController();
    const iterator = runtimeOf(c)
      .events(id, { after: after.data, signal: controller.signal })
      [Symbol.asyncIterator]();
    const chunks = sse(iterator, heartbeatMs);
    const encoder = new TextEncoder();
    const stream = new ReadableStream<Uint8Array>({
      async pull(sink) {
        try {
          const next = await chunks.next();
          if (next.done) {
            release();
            sink.close();
          } else sink.enqueue(encoder.encode(next.value));
        } catch {
          // The event source failed (a store error): end the stream; the client reconnects from its last id.
          release();
          sink.close();
        }
      },
      async cancel() {
        release();
        controller.abort();
        await chunks.return(undefined);
      },
    });
    return new Response(stream, {
      headers: {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        'x-accel-buffering': 'no',
      },
    });
  });

  app.post('/validate', async (c) => {
    const { graph } = await body(c.req.raw, validateBody);
    return c.json(await runtimeOf(c).validate(graph));
  });

  app.post('/explain', async (c) => {
    const { graph, targets } = await body(c.req.raw, graphBody);
    return c.json({ nodes: await runtimeOf(c).explain(graph as never, targets ? { targets } : {}) });
  });

  app.post('/estimate', async (c) => {
    const { graph, targets } = await body(c.req.raw, graphBody);
    return c.json(await runtimeOf(c).estimate(graph as never, targets ? { targets } : {}));
  });

  app.get('/nodes', async (c) => c.json(await runtimeOf(c).catalogue()));
  registerModelRoutes(app, runtimeOf);

  app.get('/blobs/:hash', async (c) => {
    const hash = c.req.param('hash');
    const bytes = blobHashSchema.safeParse(hash).success ? await runtimeOf(c).getBlob(hash) : undefined;
    if (!bytes) throw new RuntimeError(RUNTIME_CODES.blobNotFound, 'There is no stored blob with that hash.');
    const type = sniffMime(bytes);
    return new Response(bytes as Uint8Array<ArrayBuffer>, {
      headers: {
        'content-type': type,
        'content-length': String(bytes.byteLength),
        // Content-addressed: the bytes behind a hash never change.
        'cache-control': 'public, max-age=31536000, immutable',
        // Served from the host's origin: the browser must neither guess a type nor run anything it opens.
        'x-content-type-options': 'nosniff',
        'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; sandbox",
        ...(type.startsWith('image/') ? {} : { 'content-disposition': 'attachment' }),
      },
    });
  });

  return async (request) => app.fetch(request);
}

async function* sse(events: AsyncIterator<RunEvent>, heartbeatMs: number): AsyncGenerator<string> {
  yield 'retry: 1000\n\n';
  let next = events.next();
  try {
    for (;;) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const beat = new Promise<'beat'>((resolve) => {
        timer = setTimeout(() => resolve('beat'), heartbeatMs);
      });
      const got = await Promise.race([next, beat]);
      clearTimeout(timer);
      if (got === 'beat') {
        yield ': heartbeat\n\n';
        continue;
      }
      if (got.done) {
        yield 'event: end\ndata: {}\n\n';
        return;
      }
      yield `id: ${got.value.seq}\ndata: ${JSON.stringify(got.value)}\n\n`;
      next = events.next();
    }
  } finally {
    await events.return?.();
  }
}
