// The deployment of docs/scaling.md on one machine: a throwaway PostgreSQL, one `loraflow serve --database --workers 0`
// and N `loraflow worker` processes, on an emulator server with a fast clock. One JSON line per scenario:
// - 100 concurrent runs of the example pipeline sharing one training, with 1 and with 3 workers: wall time, p95 of a
//   run (POST to end), provider calls by route;
// - worker failover: a worker SIGKILLed while its run trains; how long until the other worker takes the run over, and
//   until the run has succeeded, with the number of train calls (1: re-attached, not started again).
// Run: corepack pnpm --filter @loraflow/cli bench:queue [runs]
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type RunningEmulator, startEmulator } from '@loraflow/emulator/node';
import { startTestCluster } from '../../store-postgres/src/test/cluster';
import { runManyAt } from '../src/test/many-runs';
import { type CliProcess, emulatorEnv, spawnCli, workspace } from '../src/test/spawn-cli';

const runs = Number(process.argv[2] ?? 100);
const only = process.argv[3]; // 'failover', or a number of workers: that scenario alone
const TOKEN = 'bench-token-0123456789abcdef';
const auth = { authorization: `Bearer ${TOKEN}` };
const cluster = await startTestCluster({ durable: true });
const children: CliProcess[] = [];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
async function waitFor<T>(check: () => T | undefined | Promise<T | undefined>): Promise<T> {
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    await sleep(20);
  }
}

/** serve (API only) and `workers` worker processes over a new database, on `server`. */
async function deployment(server: RunningEmulator, cwd: string, workers: number, extra: string[]) {
  const database = await cluster.createDatabase();
  const env = { ...emulatorEnv(server), LORAFLOW_TOKEN: TOKEN };
  const common = ['--database', database, '--files-root', cwd, '--max-poll', '20', ...extra];
  const serve = spawnCli(['serve', '--port', '0', '--workers', '0', ...common], { cwd, env });
  children.push(serve);
  const url = await waitFor(() => /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(serve.stdout())?.[1]);
  const pool = Array.from({ length: workers }, () => spawnCli(['worker', ...common], { cwd, env }));
  children.push(...pool);
  for (const worker of pool)
    await waitFor(() => (/executing queued runs/.test(worker.stdout()) ? true : undefined));
  return { url, workers: pool };
}

function callsOf(server: RunningEmulator) {
  const calls: Record<string, number> = {};
  for (const entry of server.emulator.log.entries({})) {
    if (entry.status < 200 || entry.status >= 300) continue;
    calls[entry.route] = (calls[entry.route] ?? 0) + 1;
  }
  return calls;
}

/** What the processes said, when a scenario fails: a bench that dies must say why. */
function tellWhy() {
  for (const child of children)
    process.stderr.write(
      `--- ${child.child.spawnargs.slice(-12, -8).join(' ')}\n${child.stderr().slice(-2000)}\n`,
    );
}

/** Runs a scenario on its own emulator and work folder, and leaves nothing of it behind (saying why when it fails). */
async function scenario<T>(
  speed: number,
  body: (server: RunningEmulator, cwd: string) => Promise<T>,
): Promise<T> {
  const server = await startEmulator({ port: 0, clock: { speed } });
  const cwd = await workspace();
  try {
    return await body(server, cwd);
  } catch (error) {
    tellWhy();
    throw error;
  } finally {
    await stopAll();
    await server.close();
    await rm(cwd, { recursive: true, force: true });
  }
}

async function stopAll() {
  for (const child of children.splice(0)) {
    child.child.kill('SIGKILL');
    await child.exited;
  }
}

function manyRuns(workers: number) {
  return scenario(1000, async (server, cwd) => {
    const { url } = await deployment(server, cwd, workers, []);
    const { statuses, perRunMs, wallMs } = await runManyAt(url, cwd, runs, auth);
    const sorted = [...perRunMs].sort((a, b) => a - b);
    return {
      bench: 'many-runs-one-training',
      store: 'postgres',
      workers,
      concurrencyPerWorker: 8,
      runs,
      succeeded: statuses.filter((s) => s === 'succeeded').length,
      wallMs: Math.round(wallMs),
      p50RunMs: sorted[Math.floor(sorted.length * 0.5)],
      p95RunMs: sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.95) - 1)],
      calls: callsOf(server),
    };
  });
}

function failover(leaseMs: number) {
  // slow enough that the training (15 emulated minutes: 9 s) outlasts the lease and the takeover
  return scenario(100, async (server, cwd) => {
    const { url, workers } = await deployment(server, cwd, 2, ['--lease', String(leaseMs)]);
    const graph = JSON.parse(await readFile(join(cwd, 'train-from-images.json'), 'utf8')) as unknown;
    const posted = await fetch(`${url}/runs`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ graph }),
    });
    const { runId } = (await posted.json()) as { runId: string };
    const trains = () => callsOf(server)['scenario.models.train'] ?? 0;
    await waitFor(() => (trains() === 1 ? true : undefined));
    const executing = workers.findIndex((w) => w.stdout().includes(`executing run ${runId}`));
    const other = workers[1 - executing]!;
    const killedAt = performance.now();
    workers[executing]!.child.kill('SIGKILL');
    await waitFor(() => (other.stdout().includes(`executing run ${runId}`) ? true : undefined));
    const takenOverMs = performance.now() - killedAt;
    const status = await waitFor(async () => {
      const record = (await (await fetch(`${url}/runs/${runId}`, { headers: auth })).json()) as {
        status: string;
      };
      return record.status === 'running' ? undefined : record.status;
    });
    return {
      bench: 'worker-failover',
      store: 'postgres',
      leaseMs,
      status,
      takenOverMs: Math.round(takenOverMs),
      succeededAfterKillMs: Math.round(performance.now() - killedAt),
      trainCalls: trains(),
    };
  });
}

try {
  for (const workers of [1, 3]) {
    if (only === undefined || only === String(workers))
      process.stdout.write(`${JSON.stringify(await manyRuns(workers))}\n`);
  }
  if (only === undefined || only === 'failover')
    process.stdout.write(`${JSON.stringify(await failover(3000))}\n`);
} finally {
  await stopAll();
  await cluster.stop();
}
