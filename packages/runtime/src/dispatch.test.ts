import { createRegistry, type RunEvent } from '@loraflow/core';
import { describe, expect, it } from 'vitest';
import { followedHandle } from './dispatch';
import { createRuntime } from './runtime';
import { createMemoryStore } from './store/memory';
import type { RunRecord } from './store/types';
import { createFakeService, graph, testPack } from './test/pack';
import { until } from './test/until';

const registry = createRegistry(testPack);
const trainGraph = graph(
  [
    { id: 'name', type: 'test.text', params: { text: 'cat' } },
    { id: 'train', type: 'test.train', params: {} },
  ],
  [['name.text', 'train.name']],
);

describe('a runtime that dispatches its runs (decision 0033)', () => {
  it('stores a run queued (attempts 0, never read as interrupted) and hands its id over; the run executed by another runtime on the store streams live here and ends with its result', async () => {
    const store = createMemoryStore();
    const queued: string[] = [];
    let clock = Date.now();
    const front = createRuntime({
      registry,
      store,
      now: () => clock,
      leaseMs: 60,
      followMs: 5,
      dispatch: async (runId) => void queued.push(runId),
    });
    const service = createFakeService();
    const worker = createRuntime({ registry, store, services: { fake: service } });

    const handle = await front.run(trainGraph);
    expect(queued).toEqual([handle.runId]);
    const record = await front.getRun(handle.runId);
    expect(record).toMatchObject({ status: 'running', attempts: 0 });
    expect(record?.lease).toBeUndefined();
    // a queued run waits for a worker as long as it takes: it is not a run whose executor died
    clock += 3_600_000;
    expect((await front.getRun(handle.runId))?.interrupted).toBeUndefined();

    const streamed: RunEvent[] = [];
    const reading = (async () => {
      for await (const event of front.events(handle.runId)) streamed.push(event);
    })();
    const executed = await worker.resume(handle.runId);
    await until(() => service.calls.train === 1);
    // the training is under way in the worker: its events so far reach this runtime's stream
    await until(() => streamed.some((e) => e.type === 'node.started' && e.nodeId === 'train'));
    service.finishAll();
    const done = await executed.result;
    expect(done.status).toBe('succeeded');
    await reading;
    expect(streamed.map((e) => e.seq)).toEqual(Array.from({ length: streamed.length }, (_, i) => i + 1));
    expect(streamed.at(-1)).toMatchObject({ type: 'run.finished', status: 'succeeded' });
    expect(await handle.result).toMatchObject({ runId: handle.runId, status: 'succeeded' });
    expect((await front.getRun(handle.runId))?.attempts).toBe(1);
    expect(service.calls.train).toBe(1);
  });

  it('queues a resume instead of executing it here', async () => {
    const store = createMemoryStore();
    const queued: string[] = [];
    const front = createRuntime({ registry, store, dispatch: async (runId) => void queued.push(runId) });
    const { runId } = await front.run(trainGraph);
    const again = await front.resume(runId);
    expect(again.runId).toBe(runId);
    expect(queued).toEqual([runId, runId]);
    expect((await store.getRun(runId))?.attempts).toBe(0);
  });
});

describe('a resume of an ended run on a runtime that dispatches (decision 0033)', () => {
  it('stores the run queued again, so the worker that takes the job (which skips ended runs) executes it', async () => {
    const store = createMemoryStore();
    const queued: string[] = [];
    const front = createRuntime({
      registry,
      store,
      followMs: 5,
      dispatch: async (runId) => void queued.push(runId),
    });
    const service = createFakeService();
    const worker = createRuntime({ registry, store, services: { fake: service } });
    const { runId } = await front.run(trainGraph);
    await front.cancel(runId);
    expect(await store.getRun(runId)).toMatchObject({ status: 'cancelled' });

    const again = await front.resume(runId);
    expect(queued).toEqual([runId, runId]);
    const stored = await store.getRun(runId);
    expect(stored).toMatchObject({ status: 'running', attempts: 0 });
    expect(stored?.finishedAt).toBeUndefined();
    // what the documented worker checks before it takes a job up
    expect((await worker.getRun(runId))?.status).toBe('running');
    const executed = await worker.resume(runId);
    await until(() => service.calls.train === 1);
    service.finishAll();
    expect((await executed.result).status).toBe('succeeded');
    expect((await again.result).status).toBe('succeeded');
  });
});

describe('the handle of a run executed elsewhere', () => {
  it('reads past a store that fails once while it waits for the run’s end, and settles with its result', async () => {
    const ended: RunRecord = {
      runId: 'run_x',
      doc: trainGraph,
      status: 'succeeded',
      createdAt: 1,
      startedAt: 1,
      updatedAt: 2,
      finishedAt: 2,
      attempts: 1,
      nodes: {},
      lastSeq: 0,
    };
    let reads = 0;
    const source = {
      followMs: 1,
      getEvents: async () => [],
      async getRun() {
        reads++;
        if (reads === 1) throw new Error('connection reset by the database');
        return ended;
      },
    };
    const handle = followedHandle(source, 'run_x', 0, () => {});
    await expect(handle.result).resolves.toMatchObject({
      runId: 'run_x',
      status: 'succeeded',
      finishedAt: 2,
    });
    expect(reads).toBe(2);
  });
});
