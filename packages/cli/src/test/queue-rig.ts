import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunningEmulator } from '@loraflow/emulator/node';
import { eventually } from './eventually';
import { type CliProcess, emulatorEnv, spawnCli } from './spawn-cli';

/** The first capture of `pattern` in the process's output (or the whole match), once it has printed it. */
export async function listening(process: CliProcess, pattern: RegExp): Promise<string> {
  return eventually(() => {
    const match = pattern.exec(process.stdout());
    if (!match) throw new Error(`not ready yet: ${process.stderr().slice(-500)}`);
    return match[1] ?? match[0];
  }, 50);
}

/** A deployment of decision 0033 on loopback: an emulator, `serve --workers 0` and `loraflow worker` processes. */
export interface QueueRig {
  url: string;
  emulatorUrl: string;
  serve: CliProcess;
  workers: CliProcess[];
  emulator: CliProcess;
  /** A request to the API with the rig's token (a JSON body when given). */
  api(path: string, o?: { method?: string; body?: unknown }): Promise<Response>;
  /** POSTs `/runs` with the example graph file `name` (from the proof environment's folder); answers the run id. */
  postExample(name: string): Promise<string>;
  /** Answered (2xx) requests of one emulator route, e.g. `scenario.models.train`. */
  count(route: string): Promise<number>;
  /** Stops the processes still running (SIGTERM) and waits for them. */
  close(): Promise<void>;
}

/**
 * Starts a `loraflow emulator`, a `loraflow serve --workers 0` and `workers` `loraflow worker` processes in `cwd`, on
 * one database, with `token` as the API's bearer token and `worker` extra flags for each worker.
 *
 * @example
 * const rig = await startQueueRig({ database, cwd, token, workers: 1, lease: 1500 });
 */
export async function startQueueRig(o: {
  database: string;
  cwd: string;
  token: string;
  workers: number;
  lease: number;
  worker?: string[];
}): Promise<QueueRig> {
  const { cwd } = o;
  const emulator = spawnCli(['emulator', '--port', '0', '--speed', '100'], { cwd, env: {} });
  const emulatorUrl = await listening(emulator, /listening on (http:\/\/127\.0\.0\.1:\d+)/);
  const env = { ...emulatorEnv({ url: emulatorUrl } as RunningEmulator), LORAFLOW_TOKEN: o.token };
  const common = [
    '--database',
    o.database,
    '--lease',
    String(o.lease),
    '--files-root',
    cwd,
    '--max-poll',
    '100',
  ];
  const serve = spawnCli(['serve', '--port', '0', '--workers', '0', ...common], { cwd, env });
  const url = await listening(serve, /listening on (http:\/\/127\.0\.0\.1:\d+)/);
  const workers = Array.from({ length: o.workers }, () =>
    spawnCli(['worker', ...(o.worker ?? []), ...common], { cwd, env }),
  );
  for (const worker of workers) await listening(worker, /executing queued runs/);
  const api = (path: string, r: { method?: string; body?: unknown } = {}) =>
    fetch(`${url}${path}`, {
      method: r.method ?? (r.body === undefined ? 'GET' : 'POST'),
      headers: {
        authorization: `Bearer ${o.token}`,
        ...(r.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(r.body === undefined ? {} : { body: JSON.stringify(r.body) }),
    });
  return {
    url,
    api,
    async postExample(name) {
      const graph = JSON.parse(await readFile(join(cwd, name), 'utf8')) as unknown;
      const posted = await api('/runs', { body: { graph } });
      if (posted.status !== 201)
        throw new Error(`POST /runs answered ${posted.status}: ${await posted.text()}`);
      return ((await posted.json()) as { runId: string }).runId;
    },
    emulatorUrl,
    serve,
    workers,
    emulator,
    async count(route) {
      const log = (await (await fetch(`${emulatorUrl}/_emulator/log?route=${route}`)).json()) as {
        entries: Array<{ route: string; status: number }>;
      };
      return log.entries.filter((e) => e.route === route && e.status < 300).length;
    },
    async close() {
      const running = [serve, ...workers, emulator].filter(
        (p) => p.child.exitCode === null && !p.child.killed,
      );
      for (const process of running) process.child.kill('SIGTERM');
      await Promise.all(running.map((p) => p.exited));
    },
  };
}
