import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { serve } from '@hono/node-server';
import { createRuntimeHandler, INTERRUPTED_AFTER_MS, type LocalRuntime } from '@loraflow/runtime';
import { boundedServer } from '@loraflow/runtime/node';
import { parseFlags, serveFlagsSchema } from '../flags';
import type { CliIo } from '../io';
import { databaseUnusable, openRuntime } from '../setup';
import { storeDirOf } from '../store-dir';
import { requireSharedWebhookSecret } from '../webhook-secret';
import { listen } from './listen';
import type { WorkerOptions } from './worker';

/**
 * `loraflow serve`: the runtime's HTTP API (runs, events as SSE, catalogue) on `--port`, 127.0.0.1 by default, with
 * the keys of the environment (or the built-in emulator).
 *
 * @example
 * await serveCommand(io, { port: 8787 });
 */
export async function serveCommand(io: CliIo, rawFlags: unknown): Promise<number> {
  const flags = parseFlags(serveFlagsSchema, rawFlags);
  // with --workers 0 only other processes give out callback URLs: a secret kept in this store could not match theirs
  if (flags.publicUrl !== undefined && flags.database !== undefined && flags.workers === 0)
    requireSharedWebhookSecret(io, 'loraflow serve --workers 0');
  // With --tenants each tenant's token is its own (checked by the credentials hook); loaded only when asked for.
  const served =
    flags.tenants === undefined
      ? undefined
      : await (await import('../tenants-file')).tenantsOfFlag(io, flags.tenants);
  // The token is printed once, as Jupyter does; it never reaches a log line or a run.
  const given = io.env.LORAFLOW_TOKEN;
  const token = given && given.length > 0 ? given : randomBytes(24).toString('base64url');
  if (!served && token.length < 16) {
    io.stderr.write('loraflow: LORAFLOW_TOKEN must be at least 16 characters long\n');
    return 2;
  }
  if (!given && !served) io.stderr.write(`loraflow: token ${token}\n`);
  // Graphs arriving over HTTP read files only under --files-root, and none without it.
  const filesRoot = flags.filesRoot !== undefined ? resolve(io.cwd, flags.filesRoot) : undefined;
  // with --database, runs go through the queue to workers (in this process unless --workers 0): decision 0033
  const queued = flags.database
    ? await openQueued(io, flags.database, flags, filesRoot, {
        publicUrl: flags.publicUrl,
        ...(served ? { tenants: { options: served.tenants, secrets: served.secrets } } : {}),
      })
    : undefined;
  let cli: Awaited<ReturnType<typeof openRuntime>>;
  try {
    cli = await openRuntime(io, {
      store: flags.store,
      filesRoot,
      outDir: io.cwd,
      maxPollMs: flags.maxPoll,
      publicUrl: flags.publicUrl,
      ...(served ? { tenants: { options: served.tenants, secrets: served.secrets } } : {}),
      ...(flags.database && queued
        ? { database: { url: flags.database, leaseMs: queued.leaseMs, dispatch: queued.queue.enqueue } }
        : {}),
    });
  } catch (error) {
    await queued?.stop();
    throw error;
  }
  let code: number;
  try {
    code = await listen(io, 'loraflow runtime', async () => {
      // The Host allow-list needs the port the server got, so the handler is made once it listens.
      let handler: ((request: Request) => Promise<Response>) | undefined;
      const server = serve({
        fetch: (request) => (handler ? handler(request) : Promise.resolve(NOT_READY())),
        port: flags.port,
        hostname: flags.host,
        ...boundedServer({
          ...(flags.maxConnections !== undefined ? { maxConnections: flags.maxConnections } : {}),
          ...(flags.headersTimeout !== undefined ? { headersTimeoutMs: flags.headersTimeout } : {}),
          ...(flags.requestTimeout !== undefined ? { requestTimeoutMs: flags.requestTimeout } : {}),
        }),
      });
      await new Promise<void>((ok, fail) => {
        server.once('listening', ok);
        server.once('error', fail);
      });
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : flags.port;
      const hosts = [...hostsOf(flags.host, port), ...flags.allowHost];
      if (isWildcard(flags.host) && flags.allowHost.length === 0) {
        io.stderr.write(
          `loraflow: listening on every interface; requests must name this machine as ${hosts.join(' or ')} — add --allow-host <name:port> for the names other machines use\n`,
        );
      }
      handler = createRuntimeHandler(cli.runtime, {
        ...(served ? { credentials: served.credentials } : { token }),
        allowedOrigins: flags.allowOrigin,
        allowedHosts: hosts,
        ...(flags.maxStreams !== undefined ? { maxStreams: flags.maxStreams } : {}),
        ...(cli.webhooks ? { webhooks: cli.webhooks } : {}),
      });
      return {
        url: `http://${flags.host}:${port}`,
        close: async () => {
          await shutDown(io, server as Server, cli.runtime);
          await queued?.stop();
        },
      };
    });
  } finally {
    await cli.close();
  }
  // the interrupted runs' nodes may still wait on providers in memory; their records are stored, so the process ends
  io.exit?.(code);
  return code;
}

/** Workers run in `serve --database` unless `--workers` says otherwise: runs at once in this process. */
export const SERVE_WORKERS = 8;

/** The run queue `serve --database` hands runs to, and its in-process worker when `--workers` is not 0. */
async function openQueued(
  io: CliIo,
  database: string,
  flags: {
    workers?: number | undefined;
    lease?: number | undefined;
    store?: string | undefined;
    maxPoll?: number | undefined;
  },
  filesRoot: string | undefined,
  // serve's own workers run tenants' runs and give out webhooks exactly as serve's runtime would
  peer: Pick<WorkerOptions, 'publicUrl' | 'tenants'>,
) {
  const { createRunQueue } = await import('@loraflow/store-postgres');
  const { startWorker } = await import('./worker');
  const leaseMs = flags.lease ?? INTERRUPTED_AFTER_MS;
  const queue = await createRunQueue({
    connectionString: database,
    storeSchema: storeDirOf(io, flags.store).builtIn ? 'loraflow_emulator' : 'loraflow',
    onError: (error) => io.stderr.write(`loraflow: queue: ${error.message}\n`),
  }).catch((error: unknown) => {
    throw databaseUnusable(error);
  });
  const workers = flags.workers ?? SERVE_WORKERS;
  let worker: Awaited<ReturnType<typeof startWorker>> | undefined;
  try {
    worker =
      workers > 0
        ? await startWorker(io, {
            database,
            concurrency: workers,
            leaseMs,
            store: flags.store,
            filesRoot,
            maxPollMs: flags.maxPoll,
            ...peer,
          })
        : undefined;
  } catch (error) {
    await queue.stop();
    throw error;
  }
  return {
    queue,
    leaseMs,
    async stop() {
      const interrupted = (await worker?.stop()) ?? [];
      if (interrupted.length > 0)
        io.stderr.write(
          `loraflow: ${interrupted.length} run${interrupted.length === 1 ? '' : 's'} interrupted, for a worker to resume: ${interrupted.join(' ')}\n`,
        );
      await queue.stop();
    },
  };
}

/** Past this, a shutdown stops waiting for the store and ends anyway (the bound is 10 s). */
const SHUTDOWN_MS = 8_000;

/**
 * SIGTERM/SIGINT: stop accepting, checkpoint every live run as interrupted (resumable, nothing cancelled at the
 * provider), then close the connections still open.
 */
async function shutDown(io: CliIo, server: Server, runtime: LocalRuntime): Promise<void> {
  const closed = new Promise<void>((ok) => server.close(() => ok()));
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<'late'>((ok) => {
    timer = setTimeout(() => ok('late'), SHUTDOWN_MS);
  });
  const stopped = await Promise.race([runtime.interrupt(), late]).catch(() => 'failed' as const);
  clearTimeout(timer);
  if (Array.isArray(stopped) && stopped.length > 0) {
    io.stderr.write(
      `loraflow: stopped; ${stopped.length} run${stopped.length === 1 ? '' : 's'} interrupted, resumable with POST /runs/<id>/resume: ${stopped.join(' ')}\n`,
    );
  } else if (!Array.isArray(stopped)) {
    io.stderr.write(
      'loraflow: stopped without recording every live run; they read as interrupted after a minute and resume then\n',
    );
  }
  server.closeAllConnections();
  await closed;
}

// The names a client on this machine may put in Host for the bound address (DNS rebinding sends any other).
function hostsOf(host: string, port: number): string[] {
  const loopback = host === '127.0.0.1' || host === 'localhost' || host === '::1';
  // a wildcard bind is reached by this machine's names, never by the literal 0.0.0.0
  const names =
    loopback || isWildcard(host)
      ? ['127.0.0.1', 'localhost', '[::1]', ...(isWildcard(host) ? [hostname()] : [])]
      : [host.includes(':') ? `[${host}]` : host];
  return names.map((name) => `${name}:${port}`);
}

function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '[::]';
}

// answered in the instant between listening and the handler being made (the Host list needs the port)
const NOT_READY = () =>
  new Response(
    JSON.stringify({ error: { code: 'server.busy', message: 'The server is starting; try again.' } }),
    {
      status: 503,
      headers: { 'content-type': 'application/json', 'retry-after': '1' },
    },
  );
