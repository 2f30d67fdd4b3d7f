import { INTERRUPTED_AFTER_MS, RUNTIME_CODES, RuntimeError, type TenantOptions } from '@loraflow/runtime';
import { EXIT } from '../errors';
import { parseFlags, workerFlagsSchema } from '../flags';
import type { CliIo } from '../io';
import { databaseUnusable, openRuntime } from '../setup';
import { storeDirOf } from '../store-dir';
import { requireSharedWebhookSecret } from '../webhook-secret';

/**
 * What a worker needs: the database, how many runs at once, the lease, and what `openRuntime` takes for the
 * providers and files.
 *
 * @example
 * const worker = await startWorker(io, { database: url, concurrency: 4 });
 */
export interface WorkerOptions {
  database: string;
  concurrency: number;
  leaseMs?: number | undefined;
  store?: string | undefined;
  filesRoot?: string | undefined;
  maxPollMs?: number | undefined;
  /** Tenants' runs execute on their own keys, found again by tenant id (`--tenants`, the file serve reads). */
  tenants?: { options: TenantOptions; secrets: string[] } | undefined;
  /** Where providers reach serve: nodes give them webhooks signed with the shared secret (`--public-url`). */
  publicUrl?: string | undefined;
}

/**
 * A worker in this process (decision 0033): it takes queued runs from the database's run queue and executes them
 * with a runtime of its own over the PostgreSQL store, holding each run's lease; it also takes over the runs whose
 * executor's lease lapsed. `stop()` checkpoints the runs it executes as interrupted (another worker resumes them) and
 * closes its connections.
 *
 * @example
 * const worker = await startWorker(io, { database: 'postgres://db/loraflow', concurrency: 8 });
 * // ...
 * const interrupted = await worker.stop();
 */
export async function startWorker(
  io: CliIo,
  o: WorkerOptions,
): Promise<{ leaseMs: number; stop(): Promise<string[]> }> {
  const { createRunQueue } = await import('@loraflow/store-postgres');
  const leaseMs = o.leaseMs ?? INTERRUPTED_AFTER_MS;
  const cli = await openRuntime(io, {
    store: o.store,
    filesRoot: o.filesRoot,
    outDir: io.cwd,
    maxPollMs: o.maxPollMs,
    database: { url: o.database, leaseMs },
    publicUrl: o.publicUrl,
    ...(o.tenants ? { tenants: o.tenants } : {}),
  });
  const { builtIn } = storeDirOf(io, o.store);
  let queue: Awaited<ReturnType<typeof createRunQueue>>;
  try {
    queue = await createRunQueue({
      connectionString: o.database,
      storeSchema: builtIn ? 'loraflow_emulator' : 'loraflow',
      onError: (error) => io.stderr.write(`loraflow: queue: ${error.message}\n`),
    });
  } catch (error) {
    await cli.close();
    throw databaseUnusable(error);
  }
  const execute = async (runId: string) => {
    const record = await cli.runtime.getRun(runId);
    // a job for a run that has ended (or was cancelled before a worker came) has nothing left to do
    if (record?.status !== 'running') return;
    let handle: Awaited<ReturnType<typeof cli.runtime.resume>>;
    try {
      // unlessEnded: a cancel landing between the look above and the take-up is honoured, not overwritten
      handle = await cli.runtime.resume(runId, { unlessEnded: true });
    } catch (error) {
      // another worker executes it (its lease is live), or this one is stopping: the job is done here
      const code = error instanceof RuntimeError ? error.code : undefined;
      if (
        code === RUNTIME_CODES.runActive ||
        code === RUNTIME_CODES.runEnded ||
        code === RUNTIME_CODES.runtimeStopping
      )
        return;
      // a tenant's run left queued with no word would look like a stuck queue: say which flag is missing
      if (code === RUNTIME_CODES.tenantCredentialsUnavailable)
        io.stderr.write(
          `loraflow worker: run ${runId} belongs to a tenant and this worker has no keys for it (start it with --tenants, the file serve uses); left for another worker\n`,
        );
      throw error;
    }
    io.stdout.write(`loraflow worker: executing run ${runId} from event ${handle.after + 1}\n`);
    // the run's outcome is in its record; a failed run is not a failed job (retrying it would not change it)
    const result = await handle.result.catch(() => undefined);
    io.stdout.write(`loraflow worker: run ${runId} ${result?.status ?? 'stopped here'}\n`);
  };
  await queue.work({ concurrency: o.concurrency, leaseMs, execute });
  return {
    leaseMs,
    async stop() {
      const interrupted = await cli.runtime.interrupt();
      await queue.stop();
      await cli.close();
      return interrupted;
    },
  };
}

/**
 * `loraflow worker --database <url>`: executes the runs `loraflow serve --database <url>` queues, `--concurrency` at a
 * time, until SIGINT/SIGTERM, which checkpoints its runs as interrupted for another worker to resume.
 *
 * @example
 * await workerCommand(io, { database: 'postgres://localhost/loraflow', concurrency: '4' });
 */
export async function workerCommand(io: CliIo, rawFlags: unknown): Promise<number> {
  const flags = parseFlags(workerFlagsSchema, rawFlags);
  // the URLs this worker gives out are checked by serve: only a secret both are given can agree (decision 0033)
  if (flags.publicUrl !== undefined) requireSharedWebhookSecret(io, 'loraflow worker');
  const tenants =
    flags.tenants === undefined
      ? undefined
      : await (await import('../tenants-file')).tenantsOfFlag(io, flags.tenants);
  const worker = await startWorker(io, {
    publicUrl: flags.publicUrl,
    ...(tenants ? { tenants: { options: tenants.tenants, secrets: tenants.secrets } } : {}),
    database: flags.database,
    concurrency: flags.concurrency,
    leaseMs: flags.lease,
    store: flags.store,
    filesRoot: flags.filesRoot,
    maxPollMs: flags.maxPoll,
  });
  io.stdout.write(
    `loraflow worker executing queued runs, ${flags.concurrency} at a time (lease ${worker.leaseMs} ms)\n`,
  );
  await (io.untilStopped?.() ?? new Promise<void>(() => {}));
  const interrupted = await worker.stop();
  if (interrupted.length > 0) {
    io.stderr.write(
      `loraflow: stopped; ${interrupted.length} run${interrupted.length === 1 ? '' : 's'} interrupted, for another worker to resume: ${interrupted.join(' ')}\n`,
    );
  }
  // the interrupted runs' provider waits would keep the process alive: their records are stored, so it ends
  io.exit?.(EXIT.ok);
  return EXIT.ok;
}
