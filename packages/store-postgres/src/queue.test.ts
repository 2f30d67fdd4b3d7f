import { describe, expect, it, onTestFinished } from 'vitest';
import { sampleRun } from '../../runtime/src/test/store-contract';
import { createRunQueue } from './queue';
import { createPostgresStore } from './store';
import { useTestCluster } from './test/use-cluster';

const cluster = useTestCluster();

async function open() {
  const connectionString = await cluster().createDatabase();
  const store = await createPostgresStore({ connectionString });
  const queue = await createRunQueue({ connectionString });
  onTestFinished(async () => {
    await queue.stop();
    await store.close();
  });
  return { store, queue };
}

describe('the run queue on pg-boss', () => {
  it('hands a queued run to a worker, and requeues the runs whose executor’s lease lapsed or that a shutdown interrupted — not queued, live or finished ones', async () => {
    const { store, queue } = await open();
    const now = Date.now();
    // a killed worker's run: running, its lease lapsed
    await store.putRun({ ...sampleRun('lapsed', 1), lease: { owner: 'rt_dead', expiresAt: now - 1 } });
    // a worker's run stopped by its shutdown: interrupted, no lease
    await store.putRun({ ...sampleRun('stopped', 2), interrupted: true });
    // executed right now by a live worker
    await store.putRun({ ...sampleRun('live', 3), lease: { owner: 'rt_live', expiresAt: now + 3_600_000 } });
    // waiting for its first job, which is in the queue: the sweep leaves it to that job
    await store.putRun({ ...sampleRun('waiting', 4), attempts: 0 });
    await store.putRun({ ...sampleRun('ended', 5), status: 'succeeded', finishedAt: 6 });
    await store.putRun(sampleRun('fresh', 7));

    const executed: string[] = [];
    await queue.work({ concurrency: 2, leaseMs: 400, execute: async (runId) => void executed.push(runId) });
    await queue.enqueue('fresh');
    await expect.poll(() => [...new Set(executed)].sort()).toEqual(['fresh', 'lapsed', 'stopped']);
  });

  it('refuses a worker with no room for a run, saying which option and why', async () => {
    const { queue } = await open();
    await expect(queue.work({ concurrency: 0, leaseMs: 1000, execute: async () => {} })).rejects.toThrow(
      /concurrency: at least 1 run at a time/,
    );
  });
});
