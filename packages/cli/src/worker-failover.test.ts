import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunEvent } from '@loraflow/core';
import type { RunningEmulator } from '@loraflow/emulator/node';
import { describe, expect, it } from 'vitest';
import { useTestCluster } from '../../store-postgres/src/test/use-cluster';
import { eventually } from './test/eventually';
import { proofEnvironment } from './test/proof-env';
import { type CliProcess, emulatorEnv, spawnCli } from './test/spawn-cli';

// One `loraflow serve --database --workers 0`, two `loraflow worker` processes and a `loraflow emulator` process, all
// on loopback, over one throwaway PostgreSQL: a worker is killed (SIGKILL) while the run it executes trains.

const cluster = useTestCluster();
const { dir } = proofEnvironment();

const TOKEN = 'failover-test-token-0123456789';
const LEASE = ['--lease', '1500'];

async function listening(process: CliProcess, pattern: RegExp): Promise<string> {
  return eventually(() => {
    const match = pattern.exec(process.stdout());
    if (!match) throw new Error(`not ready yet: ${process.stderr().slice(-500)}`);
    return match[1] ?? match[0];
  }, 50);
}

/** Reads the SSE stream to its end: every event with the `id:` it came under. */
async function readStream(response: Response): Promise<Array<{ id: number; event: RunEvent }>> {
  const text = await response.text();
  const out: Array<{ id: number; event: RunEvent }> = [];
  for (const block of text.split('\n\n')) {
    const id = /^id: (\d+)$/m.exec(block)?.[1];
    const data = /^data: (.*)$/m.exec(block)?.[1];
    if (id && data) out.push({ id: Number(id), event: JSON.parse(data) as RunEvent });
  }
  return out;
}

describe('a worker killed while its run trains', () => {
  it('is replaced within a lease by the other worker, which re-attaches to the training (one train call); the stream read through serve has every seq once, in order', async () => {
    const database = await cluster().createDatabase();
    const cwd = await dir();
    const emulator = spawnCli(['emulator', '--port', '0', '--speed', '100'], { cwd, env: {} });
    const emulatorUrl = await listening(emulator, /listening on (http:\/\/127\.0\.0\.1:\d+)/);
    const env = { ...emulatorEnv({ url: emulatorUrl } as RunningEmulator), LORAFLOW_TOKEN: TOKEN };
    const common = ['--database', database, ...LEASE, '--files-root', cwd, '--max-poll', '100'];
    const serve = spawnCli(['serve', '--port', '0', '--workers', '0', ...common], { cwd, env });
    const url = await listening(serve, /listening on (http:\/\/127\.0\.0\.1:\d+)/);
    const workers = [0, 1].map(() => spawnCli(['worker', '--concurrency', '2', ...common], { cwd, env }));
    for (const worker of workers) await listening(worker, /executing queued runs/);

    const auth = { authorization: `Bearer ${TOKEN}` };
    const graph = JSON.parse(await readFile(join(cwd, 'train-from-images.json'), 'utf8')) as unknown;
    const posted = await fetch(`${url}/runs`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ graph }),
    });
    expect(posted.status).toBe(201);
    const { runId } = (await posted.json()) as { runId: string };
    // the stream is opened now and read to its end: it must carry the run across the two workers
    const stream = fetch(`${url}/runs/${runId}/events`, { headers: auth }).then(readStream);

    const trains = async () => {
      const log = (await (
        await fetch(`${emulatorUrl}/_emulator/log?route=scenario.models.train`)
      ).json()) as { entries: Array<{ route: string; status: number }> };
      return log.entries.filter((e) => e.route === 'scenario.models.train' && e.status < 300).length;
    };
    const polls = async () =>
      (
        (await (await fetch(`${emulatorUrl}/_emulator/log?route=scenario.models.get`)).json()) as {
          entries: unknown[];
        }
      ).entries.length;
    // the training has started and is being waited on
    await expect.poll(trains).toBe(1);
    const pollsBefore = await polls();
    await expect.poll(polls).toBeGreaterThan(pollsBefore);
    const executing = workers.findIndex((w) => w.stdout().includes(`executing run ${runId}`));
    expect(executing).toBeGreaterThanOrEqual(0);
    const killed = workers[executing]!;
    const other = workers[1 - executing]!;
    killed.child.kill('SIGKILL');
    await killed.exited;

    await expect
      .poll(
        async () =>
          ((await (await fetch(`${url}/runs/${runId}`, { headers: auth })).json()) as { status: string })
            .status,
      )
      .toBe('succeeded');
    expect(other.stdout()).toMatch(new RegExp(`executing run ${runId} from event \\d+`));
    const record = (await (await fetch(`${url}/runs/${runId}`, { headers: auth })).json()) as {
      attempts: number;
      lastSeq: number;
    };
    expect(record.attempts).toBe(2);
    // re-attached at the provider: the training was started once
    expect(await trains()).toBe(1);

    const events = await stream;
    const seqs = events.map((e) => e.event.seq);
    expect(events.every((e) => e.id === e.event.seq)).toBe(true);
    // no gap, no number twice: 1, 2, …, last
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    expect(seqs.at(-1)).toBe(record.lastSeq);
    // the second attempt started right after the last event the first one stored
    const starts = events.filter((e) => e.event.type === 'run.started').map((e) => e.event.seq);
    expect(starts).toHaveLength(2);
    const resumedFrom = Number(/executing run \S+ from event (\d+)/.exec(other.stdout())?.[1]);
    expect(starts[1]).toBe(resumedFrom);
    expect(events.at(-1)?.event).toMatchObject({ type: 'run.finished', status: 'succeeded' });

    for (const process of [serve, other, emulator]) process.child.kill('SIGTERM');
    await Promise.all([serve.exited, other.exited, emulator.exited]);
  });
});
