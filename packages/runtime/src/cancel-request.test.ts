import { createRegistry, type RunEvent } from '@loraflow/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CANCEL_WATCH_MS } from './cancel-request';
import { createRuntimeHandler } from './http/handler';
import { STOP_STEP_MS, type WorkStopper } from './orphan-cancel';
import { createRuntime, HEARTBEAT_MS } from './runtime';
import { createFileStore } from './store/file';
import { createMemoryStore } from './store/memory';
import type { RunRecord, RuntimeStore } from './store/types';
import { createFakeService, type FakeService, graph, testPack } from './test/pack';
import { listen, poster } from './test/serve';
import { tempDir } from './test/temp-dir';
import { until } from './test/until';

const registry = createRegistry(testPack);
const trainGraph = graph(
  [
    { id: 'name', type: 'test.text', params: { text: 'cat' } },
    { id: 'train', type: 'test.train', params: {} },
  ],
  [['name.text', 'train.name']],
);
// a short lease, long enough that a loaded machine does not lapse the live executor's (heartbeat every 200 ms)
const leaseMs = 600;

/** Run `run_x` of the training graph, still running on its record, whose executor (`rt_gone`) died at `past`. */
const deadRun = (
  past: number,
  o: Pick<RunRecord, 'attempts' | 'nodes'> & { cancelRequestedAt?: number },
): RunRecord => ({
  runId: 'run_x',
  doc: trainGraph,
  status: 'running',
  createdAt: past,
  startedAt: past,
  updatedAt: past,
  lastSeq: 0,
  lease: { owner: 'rt_gone', expiresAt: past },
  ...o,
});

const stores: Array<[string, () => Promise<RuntimeStore>]> = [
  ['memory', async () => createMemoryStore()],
  ['file', async () => createFileStore({ dir: await tempDir() })],
];

describe.each(stores)('cancel of a run another process executes (%s store)', (_, open) => {
  it('records the request at once, and the executor cancels the run at its next beat as a local cancel would: the provider’s training cancelled, events written, nothing cached', async () => {
    const store = await open();
    const service = createFakeService();
    const executor = createRuntime({ registry, store, services: { fake: service }, leaseMs });
    const other = createRuntime({ registry, store, services: { fake: service }, leaseMs });
    const handle = await executor.run(trainGraph);
    await until(() => service.calls.train === 1);

    await other.cancel(handle.runId);
    // answered before the executor acted: the run is still going, with the request on its record
    const asked = await store.getRun(handle.runId);
    expect(asked).toMatchObject({ status: 'running', cancelRequestedAt: expect.any(Number) });

    const result = await handle.result;
    expect(result.status).toBe('cancelled');
    expect(service.calls.cancel).toBe(1);
    const record = (await store.getRun(handle.runId))!;
    expect(record).toMatchObject({ status: 'cancelled', nodes: { train: { status: 'cancelled' } } });
    expect(record.lease).toBeUndefined();
    const events = await store.getEvents(handle.runId);
    expect(events.at(-1)).toMatchObject({ type: 'run.finished', status: 'cancelled' });
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    const key = record.nodes.train!.key;
    expect(key).not.toBe('');
    expect(await store.has(key)).toBe(false);
    expect(service.calls).toMatchObject({ create: 1, train: 1 });
  });

  it('closes a queued run nobody has taken up as cancelled, and its followed handle ends so', async () => {
    const store = await open();
    const queued: string[] = [];
    const front = createRuntime({
      registry,
      store,
      followMs: 5,
      dispatch: async (id) => void queued.push(id),
    });
    const handle = await front.run(trainGraph);
    await front.cancel(handle.runId);
    expect(await store.getRun(handle.runId)).toMatchObject({ status: 'cancelled', attempts: 0 });
    expect((await handle.result).status).toBe('cancelled');
  });
});

describe('cancel of an idle run executed elsewhere, with the default lease', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('is acted on within CANCEL_WATCH_MS of the request, well before the next heartbeat', async () => {
    // every timer is the test's: nothing but the watch can wake the executor (no event, no claim renewal)
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'setTimeout', 'clearTimeout', 'Date'] });
    const store = createMemoryStore();
    const service = createFakeService();
    const executor = createRuntime({ registry, store, services: { fake: service } });
    const other = createRuntime({ registry, store });
    const handle = await executor.run(trainGraph);
    await until(() => service.calls.train === 1);
    await other.cancel(handle.runId);
    expect(CANCEL_WATCH_MS).toBeLessThan(HEARTBEAT_MS);
    // the training waits on the provider: no event, so no checkpoint; only the watch reads the request
    expect(service.calls.cancel).toBe(0);
    await vi.advanceTimersByTimeAsync(CANCEL_WATCH_MS);
    // no wait on time here: `until` would move the fake clock on to the heartbeat; the watch acts within promise jobs
    for (let turn = 0; turn < 1_000 && service.calls.cancel === 0; turn++) await Promise.resolve();
    expect(service.calls.cancel).toBe(1);
    expect((await handle.result).status).toBe('cancelled');
    expect(await store.getRun(handle.runId)).toMatchObject({ status: 'cancelled' });
  });
});

describe('cancel over HTTP of a run a worker executes', () => {
  it('answers 202 with cancelRequested from the serving process, and the worker’s run ends cancelled', async () => {
    const store = createMemoryStore();
    const service = createFakeService();
    const worker = createRuntime({ registry, store, services: { fake: service }, leaseMs });
    const executing: Array<Promise<unknown>> = [];
    const front = createRuntime({
      registry,
      store,
      leaseMs,
      followMs: 5,
      // the queue, in one line: the worker takes the run up as soon as it is stored
      dispatch: async (runId) => {
        executing.push(worker.resume(runId).then((h) => h.result));
      },
    });
    const { url } = await listen(createRuntimeHandler(front));
    const post = poster(url);
    const created = await post('/runs', { graph: trainGraph });
    expect(created.status).toBe(201);
    const { runId } = (await created.json()) as { runId: string };
    await until(() => service.calls.train === 1);

    const cancelled = await post(`/runs/${runId}/cancel`);
    expect(cancelled.status).toBe(202);
    expect(await cancelled.json()).toEqual({ runId, status: 'running', cancelRequested: true });
    expect(await Promise.all(executing)).toMatchObject([{ status: 'cancelled' }]);
    const streamed: RunEvent[] = [];
    for await (const event of front.events(runId)) streamed.push(event);
    expect(streamed.at(-1)).toMatchObject({ type: 'run.finished', status: 'cancelled' });
    expect(service.calls.cancel).toBe(1);
    const read = await fetch(`${url}/runs/${runId}`);
    expect(await read.json()).toMatchObject({ status: 'cancelled' });
  });
});

describe('a dispatched run keeps what it was asked (decision 0033)', () => {
  it('recomputes the nodes of `refresh` in the worker’s first attempt, once', async () => {
    const store = createMemoryStore();
    const service = createFakeService();
    const worker = createRuntime({ registry, store, services: { fake: service } });
    const first = await worker.run(trainGraph);
    await until(() => service.calls.train === 1);
    service.finishAll();
    expect((await first.result).status).toBe('succeeded');

    const queued: string[] = [];
    const front = createRuntime({ registry, store, dispatch: async (id) => void queued.push(id) });
    const { runId } = await front.run(trainGraph, { refresh: ['train'] });
    expect((await store.getRun(runId))?.refresh).toEqual(['train']);
    const executed = await worker.resume(runId);
    await until(() => service.calls.train === 2);
    // applied once: the attempt's record no longer carries it, so a later resume reuses what it computes
    expect((await store.getRun(runId))?.refresh).toBeUndefined();
    service.finishAll();
    expect((await executed.result).status).toBe('succeeded');

    // without refresh the trained model is reused from the cache
    const again = await front.run(trainGraph);
    expect((await (await worker.resume(again.runId)).result).status).toBe('succeeded');
    expect(service.calls.train).toBe(2);
  });

  it('refuses an unknown target when the run is posted, before anything is stored or queued', async () => {
    const store = createMemoryStore();
    const queued: string[] = [];
    const front = createRuntime({ registry, store, dispatch: async (id) => void queued.push(id) });
    await expect(front.run(trainGraph, { targets: ['nope'] })).rejects.toMatchObject({
      code: 'graph.invalid',
    });
    expect(queued).toEqual([]);
    expect(await store.listRuns()).toEqual([]);
  });
});

describe('a worker taking up a queued run that was cancelled after it looked (decision 0032)', () => {
  it('refuses with run.ended under the take-up claim and calls no provider; a plain resume still restarts it', async () => {
    const store = createMemoryStore();
    const front = createRuntime({ registry, store, dispatch: async () => {} });
    const service = createFakeService();
    const worker = createRuntime({ registry, store, services: { fake: service } });
    const { runId } = await front.run(trainGraph);
    // the worker's look at the job: still queued
    expect((await worker.getRun(runId))?.status).toBe('running');
    await front.cancel(runId);
    await expect(worker.resume(runId, { unlessEnded: true })).rejects.toMatchObject({ code: 'run.ended' });
    expect(service.calls.create + service.calls.train).toBe(0);
    expect(await store.getRun(runId)).toMatchObject({ status: 'cancelled', attempts: 0 });
    const again = await worker.resume(runId);
    await until(() => service.calls.train === 1);
    service.finishAll();
    expect((await again.result).status).toBe('succeeded');
  });
});

describe('cancel of a run whose executor is gone (decision 0032)', () => {
  /** The fake provider's stopper: reads the step's journal and cancels the job it finds still running. */
  const stoppers: Record<string, WorkStopper> = {
    'test.train': async ({ effects, services }) => {
      const jobId = (effects.train?.result as { jobId?: string } | undefined)?.jobId;
      if (jobId === undefined) return { outcome: 'ended', message: 'No training was started.' };
      const fake = services.get<FakeService>('fake')!;
      if ((await fake.status(jobId)) !== 'running')
        return { outcome: 'ended', message: `Job ${jobId} had ended.` };
      await fake.cancelJob(jobId);
      return { outcome: 'cancelled', message: `Asked the provider to cancel job ${jobId}.` };
    },
  };

  /** A run whose training started, then whose executor stopped without cancelling anything (as a shutdown does). */
  async function orphaned(store: RuntimeStore, service: FakeService) {
    const executor = createRuntime({ registry, store, services: { fake: service }, leaseMs });
    const handle = await executor.run(trainGraph);
    await until(() => service.calls.train === 1);
    expect(await executor.interrupt()).toEqual([handle.runId]);
    return handle.runId;
  }

  /** Run `run_x`, whose journal shows it started training model m1, and whose executor (`rt_gone`) died long ago. */
  async function deadTraining(
    store: RuntimeStore,
    service: FakeService,
    last: { attempts: number; train: 'cached' | 'running' },
  ): Promise<string> {
    const { jobId } = await service.train('m1');
    const past = Date.now() - 120_000;
    await store.putRecord({
      key: 'k-train/train',
      state: 'done',
      intent: { modelId: 'm1' },
      result: { jobId },
      at: past,
      runId: 'run_x',
    });
    await store.putRun(
      deadRun(past, {
        attempts: last.attempts,
        nodes: {
          name: { status: 'succeeded', key: 'k-name' },
          train: { status: last.train, key: 'k-train' },
        },
      }),
    );
    return jobId;
  }

  it.each(stores)(
    'asks the provider to stop the training the run started, then closes the run (%s store)',
    async (_, open) => {
      const store = await open();
      const service = createFakeService();
      const runId = await orphaned(store, service);
      const other = createRuntime({ registry, store, services: { fake: service }, leaseMs, stoppers });

      await other.cancel(runId);
      expect(service.calls.cancel).toBe(1);
      expect([...service.jobs.values()].map((j) => j.status)).toEqual(['cancelled']);
      const record = (await other.getRun(runId))!;
      expect(record).toMatchObject({ status: 'cancelled', nodes: { train: { status: 'cancelled' } } });
      expect(record.lease).toBeUndefined();
      const events = await store.getEvents(runId);
      expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
      expect(events.slice(-3)).toMatchObject([
        { type: 'node.log', nodeId: 'train', level: 'info', message: 'Asked the provider to cancel job j1.' },
        { type: 'node.cancelled', nodeId: 'train' },
        { type: 'run.finished', status: 'cancelled' },
      ]);
      expect(record.lastSeq).toBe(events.length);
      expect(await store.has(record.nodes.train!.key)).toBe(false);
      // closed: a second cancel finds it ended and asks nothing more
      await other.cancel(runId);
      expect(service.calls.cancel).toBe(1);
    },
  );

  it('stops the training the run started in an earlier attempt, though the step reads cached in the last one', async () => {
    const store = createMemoryStore();
    const service = createFakeService();
    // attempt 1 started the training and cached the step; attempt 2 took it from the cache, then its process died
    const jobId = await deadTraining(store, service, { attempts: 2, train: 'cached' });
    const other = createRuntime({ registry, store, services: { fake: service }, leaseMs, stoppers });
    await other.cancel('run_x');
    expect(service.calls.cancel).toBe(1);
    expect(service.jobs.get(jobId)?.status).toBe('cancelled');
    expect(await store.getRun('run_x')).toMatchObject({ status: 'cancelled' });
  });

  it('leaves running the training another run now relies on (its claim held by that run), and says so', async () => {
    const store = createMemoryStore();
    const service = createFakeService();
    const jobId = await deadTraining(store, service, { attempts: 1, train: 'running' });
    // run_y took the step over when run_x's executor died, and polls the same training
    expect(await store.claims!.acquire('k-train', 'run_y@engine', 60_000)).toMatchObject({ acquired: true });
    const other = createRuntime({ registry, store, services: { fake: service }, leaseMs, stoppers });
    await other.cancel('run_x');
    expect(service.calls.cancel).toBe(0);
    expect(service.jobs.get(jobId)?.status).toBe('running');
    const events = await store.getEvents('run_x');
    expect(events.find((e) => e.type === 'node.log')).toMatchObject({
      nodeId: 'train',
      level: 'info',
      message: 'Run run_y relies on what this step started, so it was left running for that run.',
    });
    expect(await store.getRun('run_x')).toMatchObject({ status: 'cancelled' });
    // run_y still holds its claim: the canceller took nothing from it
    expect(await store.claims!.acquire('k-train', 'run_z@engine', 60_000)).toMatchObject({
      acquired: false,
      heldBy: 'run_y@engine',
    });
  });

  it('holds the run while its stoppers take longer than a lease: no worker takes it up meanwhile', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'setTimeout', 'clearTimeout', 'Date'] });
    try {
      const store = createMemoryStore();
      const service = createFakeService();
      await deadTraining(store, service, { attempts: 1, train: 'running' });
      let entered!: () => void;
      const inStopper = new Promise<void>((resolve) => {
        entered = resolve;
      });
      let release!: () => void;
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      const slow: Record<string, WorkStopper> = {
        'test.train': async () => {
          entered();
          await held;
          return { outcome: 'cancelled', message: 'Asked the provider to cancel it.' };
        },
      };
      const canceller = createRuntime({
        registry,
        store,
        services: { fake: service },
        leaseMs,
        stoppers: slow,
      });
      const worker = createRuntime({ registry, store, services: { fake: service }, leaseMs });
      const cancelling = canceller.cancel('run_x');
      await inStopper;
      await vi.advanceTimersByTimeAsync(3 * leaseMs);
      await expect(worker.resume('run_x')).rejects.toMatchObject({ code: 'run.active' });
      release();
      await cancelling;
      expect(await store.getRun('run_x')).toMatchObject({ status: 'cancelled' });
      expect((await store.getRun('run_x'))?.lease).toBeUndefined();
    } finally {
      vi.useRealTimers();
    }
  });

  it('gives up on a stopper that ignores its signal after STOP_STEP_MS, warns, and closes the run', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'setTimeout', 'clearTimeout', 'Date'] });
    try {
      const store = createMemoryStore();
      const service = createFakeService();
      await deadTraining(store, service, { attempts: 1, train: 'running' });
      const deaf: Record<string, WorkStopper> = { 'test.train': () => new Promise(() => {}) };
      const canceller = createRuntime({
        registry,
        store,
        services: { fake: service },
        leaseMs,
        stoppers: deaf,
      });
      let done = false;
      const cancelling = canceller.cancel('run_x').then(() => {
        done = true;
      });
      await vi.advanceTimersByTimeAsync(STOP_STEP_MS + leaseMs);
      expect(done).toBe(true);
      await cancelling;
      expect(await store.getRun('run_x')).toMatchObject({ status: 'cancelled' });
      const events = await store.getEvents('run_x');
      expect(events.find((e) => e.type === 'node.log')).toMatchObject({
        nodeId: 'train',
        level: 'warn',
        message: expect.stringContaining('it may go on until it ends'),
      });
    } finally {
      vi.useRealTimers();
    }
  });

  it('warns in the run’s events when the node type has no stopper, and still closes the run', async () => {
    const store = createMemoryStore();
    const service = createFakeService();
    const runId = await orphaned(store, service);
    const other = createRuntime({ registry, store, services: { fake: service }, leaseMs });
    await other.cancel(runId);
    expect(service.calls.cancel).toBe(0);
    const events = await store.getEvents(runId);
    expect(events.find((e) => e.type === 'node.log' && e.level === 'warn')).toMatchObject({
      nodeId: 'train',
      message: expect.stringContaining('test.train has no way to stop'),
    });
    expect(events.at(-1)).toMatchObject({ type: 'run.finished', status: 'cancelled' });
    expect(await store.getRun(runId)).toMatchObject({ status: 'cancelled' });
  });
});

describe('a cancel request its executor never acted on (decision 0032)', () => {
  it('is acted on by the attempt that takes the run up before any node calls the provider', async () => {
    const store = createMemoryStore();
    const service = createFakeService();
    const past = Date.now() - 120_000;
    // asked while its executor lived; the executor died before its next beat read the request
    await store.putRun(deadRun(past, { attempts: 1, nodes: {}, cancelRequestedAt: past }));
    const worker = createRuntime({ registry, store, services: { fake: service }, leaseMs });
    const result = await (await worker.resume('run_x')).result;
    expect(result.status).toBe('cancelled');
    expect(service.calls).toMatchObject({ create: 0, train: 0 });
    expect(await store.getRun('run_x')).toMatchObject({ status: 'cancelled' });
  });

  it('outlives a graceful interrupt of the executor that had not read it yet', async () => {
    const store = createMemoryStore();
    const service = createFakeService();
    // the default lease: the executor's watch reads the request only after CANCEL_WATCH_MS, long after this test
    const executor = createRuntime({ registry, store, services: { fake: service } });
    const other = createRuntime({ registry, store, services: { fake: service } });
    const handle = await executor.run(trainGraph);
    await until(() => service.calls.train === 1);
    await other.cancel(handle.runId);
    expect(await executor.interrupt()).toEqual([handle.runId]);
    expect(await store.getRun(handle.runId)).toMatchObject({
      status: 'running',
      interrupted: true,
      cancelRequestedAt: expect.any(Number),
    });
  });
});
