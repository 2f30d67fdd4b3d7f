import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { GraphDocument } from '@loraflow/core';
import { createRunQueue } from '@loraflow/store-postgres';
import { describe, expect, it } from 'vitest';
import { useTestCluster } from '../../store-postgres/src/test/use-cluster';
import { startWorker } from './commands/worker';
import { openRuntime } from './setup';
import { testIo } from './test/collect';
import { proofEnvironment } from './test/proof-env';
import { emulatorEnv } from './test/spawn-cli';

// The worker's finished-run guard (decision 0033): a run cancelled while it waited in the queue is not executed when
// a worker reaches its job. One throwaway PostgreSQL, an emulator server on loopback, a worker in this process.

const cluster = useTestCluster();
const { emulator, dir } = proofEnvironment();

describe('a worker reaching the job of a run that ended while queued', () => {
  it('does not execute it: no provider call, the run stays cancelled with no attempt', async () => {
    const database = await cluster().createDatabase();
    const server = await emulator();
    const cwd = await dir();
    const env = emulatorEnv(server);
    const queue = await createRunQueue({ connectionString: database });
    const front = await openRuntime(testIo({ cwd, env }), {
      filesRoot: cwd,
      outDir: cwd,
      database: { url: database, dispatch: queue.enqueue },
    });
    const training = JSON.parse(await readFile(join(cwd, 'train-from-images.json'), 'utf8')) as GraphDocument;
    const ended = await front.runtime.run(training);
    await front.runtime.cancel(ended.runId);
    expect(await front.runtime.getRun(ended.runId)).toMatchObject({ status: 'cancelled', attempts: 0 });
    // queued after it, calling no provider: one job at a time, in order, so once this one ran the first was reached
    const prompt = {
      ...training,
      nodes: [{ id: 'prompt', type: 'text.prompt', params: { text: 'a lantern' }, position: { x: 0, y: 0 } }],
      edges: [],
    } as unknown as GraphDocument;
    const later = await front.runtime.run(prompt);

    const io = testIo({ cwd, env });
    const worker = await startWorker(io, { database, concurrency: 1, filesRoot: cwd, maxPollMs: 20 });
    try {
      await expect.poll(() => io.stdout.text()).toContain(`run ${later.runId} succeeded`);
      expect(io.stdout.text()).not.toContain(ended.runId);
      expect(server.emulator.log.entries().filter((e) => e.route !== undefined)).toEqual([]);
      expect(await front.runtime.getRun(ended.runId)).toMatchObject({ status: 'cancelled', attempts: 0 });
      expect(await front.store.getEvents(ended.runId)).toEqual([]);
    } finally {
      await worker.stop();
      await queue.stop();
      await front.close();
    }
  });
});
