import pg from 'pg';
import { PgBoss } from 'pg-boss';
import { z } from 'zod';
import { checkedOptions } from './errors';
import { quoteIdent } from './migrations';

/** The pg-boss queue every run goes through: one job per run to start (or to take over). */
export const RUN_QUEUE = 'loraflow-run';

/**
 * Options of {@link createRunQueue}.
 *
 * @example
 * createRunQueue({ connectionString: process.env.DATABASE_URL!, storeSchema: 'loraflow' });
 */
export interface RunQueueOptions {
  /** A `postgres://` URL: pg-boss opens its own small pool on it (and one connection it LISTENs on). */
  connectionString: string;
  /** The schema of the store whose runs are queued (default `loraflow`): where lapsed runs are looked for. */
  storeSchema?: string;
  /** The schema pg-boss keeps its jobs in (default `<storeSchema>_queue`); created and migrated at start. */
  queueSchema?: string;
  /** Told about pg-boss's errors (a dropped connection it recovers from); silent by default. */
  onError?: (error: Error) => void;
}

/**
 * What a worker executes a queued run with: resolves when the run has ended here or is not this worker's to run (it
 * finished, or another worker holds its lease).
 *
 * @example
 * const execute: ExecuteRun = async (runId) => { await (await runtime.resume(runId)).result; };
 */
export type ExecuteRun = (runId: string) => Promise<void>;

/**
 * A run queue on pg-boss (decision 0033): `enqueue` hands a stored run to the workers, `work` makes this process one
 * of them.
 *
 * @example
 * const queue = await createRunQueue({ connectionString });
 * const runtime = createRuntime({ registry, store, dispatch: queue.enqueue });
 * await queue.work({ concurrency: 4, leaseMs: 60_000, execute });
 */
export interface RunQueue {
  /** Queues a run stored with `attempts: 0` (or one to take over); a worker calls its `execute` with the id. */
  enqueue(runId: string): Promise<void>;
  /**
   * Executes queued runs here, `concurrency` at a time, until `stop`. Also sweeps, every quarter lease, for runs whose
   * executor's lease lapsed (a worker killed) or that were interrupted by a shutdown, and queues them again: another
   * worker takes them over within a lease period.
   */
  work(o: { concurrency: number; leaseMs: number; execute: ExecuteRun }): Promise<void>;
  /** Stops working (runs being executed are the caller's to interrupt first) and closes the queue's connections. */
  stop(): Promise<void>;
}

const identifier = z
  .string()
  .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'a schema name is 1-63 lowercase letters, digits or _');
const optionsSchema = z.object({
  connectionString: z.string().min(1, 'a connection string is a postgres:// URL'),
  storeSchema: identifier.optional(),
  queueSchema: identifier.optional(),
  onError: z.custom<(e: Error) => void>((v) => typeof v === 'function', 'a function').optional(),
});

const workSchema = z.object({
  concurrency: z.number().int().min(1, 'at least 1 run at a time').max(1000, 'at most 1000 runs at a time'),
  leaseMs: z.number().int().min(100, 'a lease of at least 100 ms'),
  execute: z.custom<ExecuteRun>((v) => typeof v === 'function', 'a function'),
});

/** How long a job stays active without its worker's heartbeat before pg-boss gives it to another (its minimum). */
const JOB_HEARTBEAT_S = 10;

/**
 * Opens the run queue: pg-boss's schema is created or migrated to its version at start (pg-boss versions its own
 * schema and applies missing steps under an advisory lock), and the run queue is created when missing.
 *
 * @example
 * const queue = await createRunQueue({ connectionString: 'postgres://loraflow@db/loraflow' });
 * await queue.enqueue(runId);
 * await queue.stop();
 */
export async function createRunQueue(options: RunQueueOptions): Promise<RunQueue> {
  checkedOptions('createRunQueue', optionsSchema, options);
  const storeSchema = options.storeSchema ?? 'loraflow';
  const boss = new PgBoss({
    connectionString: options.connectionString,
    schema: options.queueSchema ?? `${storeSchema}_queue`,
    // a worker is woken by NOTIFY the moment a run is queued; polling stays as the floor
    useListenNotify: true,
    max: 4,
  });
  const onError = options.onError ?? (() => {});
  boss.on('error', onError);
  await boss.start();
  // the job's own heartbeat: a killed worker's job is retried after it lapses, which covers a worker killed between
  // taking a job and storing the run's lease (the sweep below covers one killed afterwards)
  await boss.createQueue(RUN_QUEUE, {
    heartbeatSeconds: JOB_HEARTBEAT_S,
    retryLimit: 10,
    expireInSeconds: 24 * 3600,
    notify: true,
  } as Parameters<PgBoss['createQueue']>[1]);
  let sweeper: pg.Pool | undefined;
  let timer: ReturnType<typeof setInterval> | undefined;
  const lapsed = `SELECT run_id FROM ${quoteIdent(storeSchema)}.runs
    WHERE (record->>'status') = 'running' AND (record->>'attempts')::int > 0
      AND ((record->>'interrupted') = 'true' OR (record->'lease'->>'expiresAt')::float8 < $1)`;
  return {
    async enqueue(runId) {
      await boss.send(RUN_QUEUE, { runId });
    },
    async work(o) {
      checkedOptions('RunQueue.work', workSchema, o);
      await boss.work<{ runId: string }>(
        RUN_QUEUE,
        // NOTIFY wakes a worker when a run is queued, but not when a slot frees up with jobs still waiting (its 30 s
        // default backstop kept a busy queue idle between runs): a slot looks for the next job within a second
        {
          localConcurrency: o.concurrency,
          pollingIntervalSeconds: 1,
          notifyPollingIntervalSeconds: 1,
          batchSize: 1,
        },
        async ([job]) => {
          if (job) await o.execute(job.data.runId);
        },
      );
      sweeper = new pg.Pool({ connectionString: options.connectionString, max: 1 });
      sweeper.on('error', onError);
      const pool = sweeper;
      const window = Math.max(1, Math.ceil(o.leaseMs / 1000));
      const sweep = async () => {
        const { rows } = await pool.query<{ run_id: string }>(lapsed, [Date.now()]);
        for (const { run_id } of rows) {
          // one job per run per lease window, whichever worker swept it first
          await boss.send(RUN_QUEUE, { runId: run_id }, { singletonKey: run_id, singletonSeconds: window });
        }
      };
      let sweeping = false;
      timer = setInterval(
        () => {
          if (sweeping) return;
          sweeping = true;
          sweep()
            .catch((error: unknown) => onError(error instanceof Error ? error : new Error(String(error))))
            .finally(() => {
              sweeping = false;
            });
        },
        Math.max(50, Math.floor(o.leaseMs / 4)),
      );
      (timer as { unref?: () => void }).unref?.();
    },
    async stop() {
      if (timer) clearInterval(timer);
      await boss.stop({ graceful: false, close: true });
      await sweeper?.end();
    },
  };
}
