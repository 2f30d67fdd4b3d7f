import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createAdaptorServer } from '@hono/node-server';
import type { RunningEmulator } from '@loraflow/emulator/node';
import { createRuntimeHandler } from '@loraflow/runtime';
import { openRuntime } from '../setup';
import { testIo } from './collect';
import { emulatorEnv } from './spawn-cli';

/** What {@link runMany} saw: each run's final status and time from its POST to its end, and the wall time of all. */
export interface ManyRuns {
  statuses: string[];
  perRunMs: number[];
  wallMs: number;
}

/**
 * Sends `runs` copies of the example pipeline (compose-train-generate.json in `cwd`), each with its own prompt, at
 * once to one runtime HTTP handler (what `loraflow serve` serves) over a file store in `cwd/store`, with `server`'s
 * keys, and waits until every run has ended.
 */
export async function runMany(server: RunningEmulator, cwd: string, runs: number): Promise<ManyRuns> {
  const cli = await openRuntime(testIo({ cwd, env: emulatorEnv(server) }), {
    store: join(cwd, 'store'),
    filesRoot: cwd,
    outDir: cwd,
    maxPollMs: 20,
  });
  const http = createAdaptorServer({ fetch: createRuntimeHandler(cli.runtime) });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  try {
    return await runManyAt(url, cwd, runs);
  } finally {
    await new Promise<void>((resolve) => http.close(() => resolve()));
    (http as import('node:http').Server).closeAllConnections?.();
    await cli.close();
  }
}

/**
 * Sends `runs` copies of the example pipeline (compose-train-generate.json in `cwd`), each with its own prompt, at
 * once to the runtime API at `url` (with `headers`, e.g. a token), and waits until every run has ended.
 */
export async function runManyAt(
  url: string,
  cwd: string,
  runs: number,
  headers: Record<string, string> = {},
): Promise<ManyRuns> {
  const doc = JSON.parse(await readFile(join(cwd, 'compose-train-generate.json'), 'utf8')) as {
    nodes: Array<{ id: string; params: Record<string, unknown> }>;
  };
  const started = performance.now();
  const ids = await Promise.all(
    Array.from({ length: runs }, async (_, n) => {
      const graph = structuredClone(doc);
      graph.nodes.find((node) => node.id === 'prompt')!.params.text = `a paper lantern, variation ${n}`;
      const response = await fetch(`${url}/runs`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ graph }),
      });
      if (response.status !== 201) throw new Error(`POST /runs answered ${response.status}`);
      return ((await response.json()) as { runId: string }).runId;
    }),
  );
  const ended = new Map<string, { status: string; ms: number }>();
  for (let round = 0; round < 3000 && ended.size < runs; round++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    for (const id of ids) {
      if (ended.has(id)) continue;
      const record = (await (await fetch(`${url}/runs/${id}`, { headers })).json()) as {
        status: string;
        createdAt: number;
        finishedAt?: number;
      };
      if (record.status !== 'running')
        ended.set(id, { status: record.status, ms: (record.finishedAt ?? Date.now()) - record.createdAt });
    }
  }
  const wallMs = performance.now() - started;
  const outcomes = ids.map((id) => ended.get(id) ?? { status: 'running', ms: wallMs });
  return { statuses: outcomes.map((o) => o.status), perRunMs: outcomes.map((o) => o.ms), wallMs };
}
