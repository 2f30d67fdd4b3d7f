import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunEvent } from '@loraflow/core';
import { describe, expect, it } from 'vitest';
import { useTestCluster } from '../../store-postgres/src/test/use-cluster';
import { testIo } from './test/collect';
import { hits, POLL, proofEnvironment } from './test/proof-env';
import { startServe } from './test/serving';
import { emulatorEnv } from './test/spawn-cli';

const cluster = useTestCluster();
const { dir, emulator } = proofEnvironment();

const eventsOf = (text: string) =>
  text
    .split('\n\n')
    // the events, not the stream's closing `event: end`
    .map((block) => (/^id: /m.test(block) ? /^data: (.*)$/m.exec(block)?.[1] : undefined))
    .filter((data): data is string => data !== undefined)
    .map((data) => JSON.parse(data) as RunEvent);

describe('loraflow serve --database', () => {
  it('executes a posted run in its own worker by default, keeps it in PostgreSQL, and replays its events after a Last-Event-ID', async () => {
    const database = await cluster().createDatabase();
    const server = await emulator();
    const cwd = await dir();
    const env = { ...emulatorEnv(server), LORAFLOW_TOKEN: 'serve-database-token-0123456789' };
    const serve = await startServe(['--database', database, '--files-root', cwd, ...POLL], cwd, env);
    const auth = { authorization: `Bearer ${env.LORAFLOW_TOKEN}` };
    try {
      const graph = JSON.parse(await readFile(join(cwd, 'train-from-images.json'), 'utf8')) as unknown;
      const posted = await fetch(`${serve.url}/runs`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ graph }),
      });
      expect(posted.status).toBe(201);
      const { runId } = (await posted.json()) as { runId: string };
      const all = eventsOf(
        await (await fetch(`${serve.url}/runs/${runId}/events`, { headers: auth })).text(),
      );
      expect(all.at(-1)).toMatchObject({ type: 'run.finished', status: 'succeeded' });
      const after = await fetch(`${serve.url}/runs/${runId}/events`, {
        headers: { ...auth, 'last-event-id': '3' },
      });
      expect(eventsOf(await after.text()).map((e) => e.seq)).toEqual(all.slice(3).map((e) => e.seq));
      expect(hits(server, 'scenario.models.train')).toHaveLength(1);
    } finally {
      expect(await serve.stop()).toBe(0);
    }
    // the run outlives the process: another reads it from the database
    const io = testIo({ cwd, env });
    const { openRuntime } = await import('./setup');
    const reader = await openRuntime(io, { filesRoot: undefined, outDir: cwd, database: { url: database } });
    try {
      const [run] = await reader.runtime.listRuns({ limit: 1 });
      expect(run).toMatchObject({ status: 'succeeded', attempts: 1 });
    } finally {
      await reader.close();
    }
  });
});
