import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createRegistry, type RunEvent } from '@loraflow/core';
import { describe, expect, it, vi } from 'vitest';
import { RuntimeError } from './errors';
import { createRuntime, INTERRUPTED_AFTER_MS } from './runtime';
import { createFileStore } from './store/file';
import { createMemoryStore } from './store/memory';
import { startReadyChild } from './test/child';
import { fakeServiceClient, fakeServiceHandler } from './test/http-service';
import { lapseLeases } from './test/lapse';
import { createFakeService, graph, testPack } from './test/pack';
import { listen } from './test/serve';
import { tempDir } from './test/temp-dir';
import { until } from './test/until';

const registry = createRegistry(testPack);
const trainGraph = graph(
  [
    { id: 'name', type: 'test.text', params: { text: 'cat' } },
    { id: 'train', type: 'test.train', params: { steps: 5 } },
    { id: 'label', type: 'test.text', params: { text: 'done' } },
  ],
  [['name.text', 'train.name']],
);

describe('createRuntime over a file store', () => {
  it('finishes with exactly one create and one train however the process running it is killed with SIGKILL', async () => {
    const outcomes = new Set<string>();
    // Each kill waits for a trigger seen at the provider plus random jitter, so kills land all along the way.
    for (let round = 0; round < 8; round++) {
      const dir = await tempDir();
      const service = createFakeService();
      const { url } = await listen(fakeServiceHandler(service));
      const child = await startReadyChild(new URL('./test/fixtures/crash-runner.ts', import.meta.url), [
        dir,
        url,
      ]);
      const triggers = [
        () => true,
        () => service.calls.create > 0,
        () => service.calls.train > 0,
        () => service.calls.train > 0,
      ];
      await until(triggers[round % 4]!);
      await new Promise((resolve) =>
        setTimeout(resolve, Math.floor(Math.random() * (round % 4 === 3 ? 100 : 15))),
      );
      await child.killHard();
      outcomes.add(`${service.models.size}/${service.jobs.size}`);
      // the killed process's run lease and effect claims lapse before another process may take its run up
      await lapseLeases(createFileStore({ dir }), dir);

      const runtime = createRuntime({
        registry,
        store: createFileStore({ dir }),
        services: { fake: fakeServiceClient(url) },
      });
      const [record] = await runtime.listRuns();
      const handle = record ? await runtime.resume(record.runId) : await runtime.run(trainGraph);
      await until(() => service.jobs.size > 0);
      service.finishAll();
      const result = await handle.result;
      expect(result.status).toBe('succeeded');
      expect({
        models: service.models.size,
        jobs: service.jobs.size,
        creates: service.calls.create,
        trains: service.calls.train,
      }).toEqual({
        models: 1,
        jobs: 1,
        creates: 1,
        trains: 1,
      });
    }
    // What the provider held at the moment of each kill (models/jobs): before the create, and during training at least.
    expect(outcomes).toContain('1/1');
    expect(outcomes.size).toBeGreaterThan(1);
  });

  it('resumes a crashed run without redoing a completed side effect, reconciling one left without a result', async () => {
    const dir = await tempDir();
    const service = createFakeService();
    service.hangAfterCreate(true);
    const first = createRuntime({ registry, store: createFileStore({ dir }), services: { fake: service } });
    const handle = await first.run(trainGraph);
    // The model exists at the provider, but the process "dies" before the journal records the result.
    await until(() => service.calls.create === 1);
    expect((await first.getRun(handle.runId))?.status).toBe('running');

    service.hangAfterCreate(false);
    await lapseLeases(createFileStore({ dir }), dir);
    const second = createRuntime({ registry, store: createFileStore({ dir }), services: { fake: service } });
    expect((await second.getRun(handle.runId))?.status).toBe('running');
    const resumed = await second.resume(handle.runId);
    expect(resumed.runId).toBe(handle.runId);
    await until(() => service.calls.train === 1);
    service.finishAll();
    const result = await resumed.result;

    expect(result.status).toBe('succeeded');
    expect(result.nodes.train?.outputs).toEqual({ model: 'm1' });
    expect(service.calls).toMatchObject({ create: 1, train: 1, find: 1 });
    const record = await second.getRun(handle.runId);
    expect(record).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect(record?.nodes.train).toMatchObject({ status: 'succeeded', outputs: { model: 'm1' } });
  });

  it('re-attaches to a training that was already started instead of training again', async () => {
    const dir = await tempDir();
    const service = createFakeService();
    const first = createRuntime({ registry, store: createFileStore({ dir }), services: { fake: service } });
    const handle = await first.run(trainGraph);
    const store = createFileStore({ dir });
    await until(async () =>
      (await store.listRecords()).some((r) => r.key.endsWith('/train') && r.state === 'done'),
    );
    // The first process is gone while the training runs; the job keeps going at the provider.
    await lapseLeases(store, dir);
    const second = createRuntime({ registry, store: createFileStore({ dir }), services: { fake: service } });
    const resumed = await second.resume(handle.runId);
    await until(async () => (await second.getRun(handle.runId))?.nodes.train?.status === 'running');
    service.finishAll();
    const result = await resumed.result;
    expect(result.status).toBe('succeeded');
    expect(service.calls).toMatchObject({ create: 1, train: 1 });
    expect(service.jobs.size).toBe(1);
  });

  it('reuses every finished node when a finished run is changed only downstream', async () => {
    const dir = await tempDir();
    const service = createFakeService();
    const runtime = createRuntime({ registry, store: createFileStore({ dir }), services: { fake: service } });
    const doc = graph(
      [
        { id: 'name', type: 'test.text', params: { text: 'cat' } },
        { id: 'train', type: 'test.train', params: {} },
        { id: 'prompt', type: 'test.text', params: { text: 'a photo' } },
        { id: 'join', type: 'test.concat', params: {} },
      ],
      [
        ['name.text', 'train.name'],
        ['train.model', 'join.parts'],
        ['prompt.text', 'join.parts'],
      ],
    );
    const first = await runtime.run(doc);
    await until(() => service.calls.train === 1);
    service.finishAll();
    expect((await first.result).nodes.join?.outputs).toEqual({ text: 'm1 a photo' });

    const changed = structuredClone(doc);
    changed.nodes[2]!.params = { text: 'a painting' };
    const fresh = createRuntime({ registry, store: createFileStore({ dir }), services: { fake: service } });
    const explained = await fresh.explain(changed);
    expect(explained.filter((e) => e.willRun).map((e) => e.nodeId)).toEqual(['prompt', 'join']);
    const second = await (await fresh.run(changed)).result;
    expect(second.nodes.train?.status).toBe('cached');
    expect(second.nodes.join?.outputs).toEqual({ text: 'm1 a painting' });
    expect(service.calls).toMatchObject({ create: 1, train: 1 });
  });
});

describe('createRuntime', () => {
  it('checkpoints the run record while it runs, so a crash leaves the progress on disk', async () => {
    const store = createMemoryStore();
    const service = createFakeService();
    let clock = 0;
    // Each reading of the clock moves it a second on, so the 2 s checkpoint interval passes within a few events.
    const runtime = createRuntime({
      registry,
      store,
      services: { fake: service },
      now: () => (clock += 1000),
    });
    const handle = await runtime.run(trainGraph);
    await until(() => service.calls.train === 1);
    await until(async () => (await store.getRun(handle.runId))?.nodes.name?.status === 'succeeded');
    const stored = await store.getRun(handle.runId);
    expect(stored).toMatchObject({ status: 'running', nodes: { name: { status: 'succeeded' } } });
    expect(stored?.lastSeq).toBeGreaterThan(1);
    await runtime.cancel(handle.runId);
  });

  it('ends an event stream at once for a reader who has already seen the run finish', async () => {
    const runtime = createRuntime({ registry });
    const handle = await runtime.run(graph([{ id: 'a', type: 'test.text', params: { text: 'x' } }]));
    let first: Promise<IteratorResult<RunEvent>> | undefined;
    // Started from inside the run.finished listener, while the run is still the runtime's live one.
    handle.subscribe((e) => {
      if (e.type === 'run.finished')
        first = runtime.events(handle.runId, { after: e.seq })[Symbol.asyncIterator]().next();
    });
    await handle.result;
    expect(await first).toEqual({ done: true, value: undefined });
  });

  it('finishes a run whose event log cannot be written, recording it, and rejects its result with the store error', async () => {
    const store = createMemoryStore();
    const failing = { ...store, appendEvents: async () => Promise.reject(new Error('disk full')) };
    const runtime = createRuntime({ registry, store: failing });
    const handle = await runtime.run(graph([{ id: 'a', type: 'test.text', params: { text: 'x' } }]));
    await expect(handle.result).rejects.toThrow('disk full');
    expect(await store.getRun(handle.runId)).toMatchObject({
      status: 'succeeded',
      nodes: { a: { outputs: { text: 'x' } } },
    });
  });

  it('refuses to start a run whose record the store cannot take', async () => {
    const store = createMemoryStore();
    const runtime = createRuntime({
      registry,
      store: { ...store, putRun: async () => Promise.reject(new Error('read-only')) },
    });
    await expect(runtime.run(graph([{ id: 'a', type: 'test.text', params: { text: 'x' } }]))).rejects.toThrow(
      'read-only',
    );
  });

  it('passes per-resource limits to the engine: one provider node at a time when the limit is 1', async () => {
    const service = createFakeService();
    const runtime = createRuntime({ registry, services: { fake: service }, limits: { 'provider:fake': 1 } });
    const doc = graph(
      [
        { id: 'cat', type: 'test.text', params: { text: 'cat' } },
        { id: 'dog', type: 'test.text', params: { text: 'dog' } },
        { id: 'trainCat', type: 'test.train', params: {} },
        { id: 'trainDog', type: 'test.train', params: {} },
      ],
      [
        ['cat.text', 'trainCat.name'],
        ['dog.text', 'trainDog.name'],
      ],
    );
    const handle = await runtime.run(doc);
    await until(() => service.calls.train === 1);
    // Whatever else could run has: both text nodes are done, and the second trainer still waits for the slot.
    await until(
      () => Object.values(handle.getSnapshot().nodes).filter((n) => n.status === 'succeeded').length === 2,
    );
    expect(service.calls.create).toBe(1);
    service.finishAll();
    await until(() => service.calls.train === 2);
    service.finishAll();
    expect((await handle.result).status).toBe('succeeded');
  });

  it('marks a run left running by a dead process as cancelled when asked to cancel it', async () => {
    const store = createMemoryStore();
    const first = createRuntime({ registry, store, services: { fake: createFakeService() } });
    const handle = await first.run(trainGraph);
    const second = createRuntime({ registry, store });
    await lapseLeases(store);
    await second.cancel(handle.runId);
    expect(await store.getRun(handle.runId)).toMatchObject({
      status: 'cancelled',
      finishedAt: expect.any(Number),
    });
    await first.cancel(handle.runId);
  });

  it('hands a node’s estimate hook the upstream outputs already in the cache', async () => {
    const service = createFakeService();
    const runtime = createRuntime({ registry, services: { fake: service } });
    const doc = graph(
      [
        { id: 'a', type: 'test.text', params: { text: 'four' } },
        { id: 'b', type: 'test.text', params: { text: 'sixteen' } },
        { id: 'priced', type: 'test.priced', params: { perCharacter: 2 } },
      ],
      [
        ['a.text', 'priced.parts'],
        ['b.text', 'priced.parts'],
      ],
    );
    // before the texts exist the hook sees two connected strings and no values: unknown, not free
    const before = await runtime.estimate(doc);
    expect(before).toMatchObject({ totals: {}, unknownCosts: 1 });
    expect(before.nodes.find((n) => n.nodeId === 'priced')).toMatchObject({
      willRun: true,
      costUnknown: true,
    });
    await (await runtime.run(doc, { targets: ['a', 'b'] })).result;
    const estimate = await runtime.estimate(doc);
    expect(estimate.nodes.find((n) => n.nodeId === 'priced')?.cost).toEqual({
      amount: 22,
      unit: 'credits',
      detail: { connected: 2 },
    });
    expect(estimate).toMatchObject({ willRun: 1, fromCache: 2, unknownCosts: 0 });
  });

  it('reports an estimate hook that throws as costError on that node and goes on', async () => {
    const runtime = createRuntime({ registry });
    const doc = graph([
      { id: 'p', type: 'test.priced', params: { perCharacter: -1 } },
      { id: 'q', type: 'test.priced', params: { perCharacter: 1 } },
    ]);
    const estimate = await runtime.estimate(doc);
    expect(estimate.nodes[0]?.costError).toEqual({
      code: 'estimate.refused',
      message: 'A negative price cannot be estimated.',
    });
    expect(estimate.nodes[1]?.cost).toEqual({ amount: 0, unit: 'credits', detail: { connected: 0 } });
    expect(estimate.totals).toEqual({ credits: 0 });
    expect(estimate.unknownCosts).toBe(1);
  });

  it('refuses an invalid graph with every issue, and stores no run for it', async () => {
    const store = createMemoryStore();
    const runtime = createRuntime({ registry, store });
    const doc = graph([
      { id: 'a', type: 'test.nope' },
      { id: 'b', type: 'test.concat' },
    ]);
    const error = await runtime.run(doc).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RuntimeError);
    expect(error).toMatchObject({ code: 'graph.invalid', status: 422 });
    expect((error as RuntimeError).issues?.map((i) => i.code)).toEqual(
      expect.arrayContaining(['node.unknown-type', 'input.missing']),
    );
    expect(await store.listRuns()).toEqual([]);
  });

  it('throws one sentence naming a misused option', () => {
    expect(() => createRuntime({} as never)).toThrow(/^createRuntime: registry is not what it should be/);
    expect(() => createRuntime({ registry, concurrency: 0 })).toThrow(/concurrency/);
    expect(() => createRuntime({ registry, limits: { 'provider:x': -1 } })).toThrow(/limits\.provider:x/);
  });

  it('refuses targets that are not a list of node ids', async () => {
    const runtime = createRuntime({ registry });
    await expect(runtime.run(trainGraph, { targets: 'train' as never })).rejects.toMatchObject({
      code: 'request.invalid',
    });
    await expect(runtime.explain(trainGraph, { targets: [''] })).rejects.toMatchObject({
      code: 'request.invalid',
    });
  });

  it('refuses a target that is not a node, naming it', async () => {
    const runtime = createRuntime({ registry });
    await expect(runtime.run(trainGraph, { targets: ['ghost'] })).rejects.toMatchObject({
      code: 'graph.invalid',
      issues: [expect.objectContaining({ code: 'plan.unknown-target' })],
    });
  });

  it('answers resume, cancel and events of an unknown run with run.not-found', async () => {
    const runtime = createRuntime({ registry });
    await expect(runtime.resume('nope')).rejects.toMatchObject({ code: 'run.not-found', status: 404 });
    await expect(runtime.cancel('nope')).rejects.toMatchObject({ code: 'run.not-found' });
    const iterate = async () => {
      for await (const _ of runtime.events('nope')) break;
    };
    await expect(iterate()).rejects.toMatchObject({ code: 'run.not-found' });
  });

  it('shows a finished node’s outputs in the run record and the snapshot while the run is still going', async () => {
    const service = createFakeService();
    const runtime = createRuntime({ registry, services: { fake: service } });
    const handle = await runtime.run(trainGraph);
    await until(() => service.calls.train === 1);
    expect((await runtime.getRun(handle.runId))?.nodes.name).toMatchObject({
      status: 'succeeded',
      outputs: { text: 'cat' },
    });
    expect(handle.getSnapshot().nodes.name?.outputs).toEqual({ text: 'cat' });
    expect((await runtime.getRun(handle.runId))?.status).toBe('running');
    service.finishAll();
    await handle.result;
  });

  it('keeps a live run’s record fresh through a long silent wait, and flags a run whose process died as interrupted', async () => {
    // interval timers and the clock are fake; the engine's own timeouts stay real
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
    try {
      const store = createMemoryStore();
      const service = createFakeService();
      const live = createRuntime({ registry, store, services: { fake: service } });
      const handle = await live.run(trainGraph);
      await until(() => service.calls.train === 1);
      // another runtime on the same store: it does not run this attempt, it only reads the record
      const other = createRuntime({ registry, store });
      vi.advanceTimersByTime(10 * 60_000);
      await until(async () => (await store.getRun(handle.runId))!.updatedAt >= Date.now() - 20_000);
      expect((await other.getRun(handle.runId))?.interrupted).toBeUndefined();
      // a process that died stops writing: its record soon reads as interrupted, and resumes
      const dead = { ...(await store.getRun(handle.runId))!, runId: 'run_dead', updatedAt: Date.now() };
      await store.putRun(dead);
      expect((await other.getRun('run_dead'))?.interrupted).toBeUndefined();
      vi.advanceTimersByTime(INTERRUPTED_AFTER_MS + 1);
      expect((await other.getRun('run_dead'))?.interrupted).toBe(true);
      expect((await other.listRuns()).find((r) => r.runId === 'run_dead')?.interrupted).toBe(true);
      expect((await store.getRun('run_dead'))?.interrupted).toBeUndefined();
      service.finishAll();
      expect((await handle.result).status).toBe('succeeded');
      expect((await other.getRun(handle.runId))?.interrupted).toBeUndefined();
    } finally {
      vi.useRealTimers();
    }
  });

  it('refuses to resume a run that is still going in this runtime', async () => {
    const service = createFakeService();
    const runtime = createRuntime({ registry, services: { fake: service } });
    const handle = await runtime.run(trainGraph);
    await expect(runtime.resume(handle.runId)).rejects.toMatchObject({ code: 'run.active', status: 409 });
    await runtime.cancel(handle.runId);
  });

  it('estimates which nodes run and sums their costs per unit, counting nothing for cached nodes', async () => {
    const service = createFakeService();
    const runtime = createRuntime({ registry, services: { fake: service } });
    const before = await runtime.estimate(trainGraph);
    expect(before.totals).toEqual({ credits: 10 });
    expect(before.nodes.find((n) => n.nodeId === 'train')).toMatchObject({
      willRun: true,
      type: 'test.train',
      cost: { amount: 10, unit: 'credits' },
    });
    const handle = await runtime.run(trainGraph);
    await until(() => service.calls.train === 1);
    service.finishAll();
    await handle.result;
    const after = await runtime.estimate(trainGraph);
    expect(after).toMatchObject({ totals: {}, willRun: 0, fromCache: 3 });
  });

  it('cancelling a run cancels the training at the provider and leaves none running', async () => {
    const service = createFakeService();
    const runtime = createRuntime({ registry, services: { fake: service } });
    const handle = await runtime.run(trainGraph);
    await until(() => service.calls.train === 1);
    await runtime.cancel(handle.runId);
    await until(() => service.calls.cancel === 1);
    expect([...service.jobs.values()].map((j) => j.status)).toEqual(['cancelled']);
    expect((await handle.result).status).toBe('cancelled');
    expect((await runtime.getRun(handle.runId))?.status).toBe('cancelled');
  });

  it('cancels a run when the signal given to run aborts', async () => {
    const service = createFakeService();
    const runtime = createRuntime({ registry, services: { fake: service } });
    const controller = new AbortController();
    const handle = await runtime.run(trainGraph, { signal: controller.signal });
    await until(() => service.calls.train === 1);
    controller.abort();
    expect((await handle.result).status).toBe('cancelled');
  });

  it('numbers events across attempts, so a resumed run continues the sequence', async () => {
    const runtime = createRuntime({ registry });
    const doc = graph([{ id: 'a', type: 'test.text', params: { text: 'x' } }]);
    const handle = await runtime.run(doc);
    await handle.result;
    const resumed = await runtime.resume(handle.runId);
    expect((await resumed.result).nodes.a?.status).toBe('cached');
    const seen: RunEvent[] = [];
    for await (const event of runtime.events(handle.runId)) seen.push(event);
    expect(seen.map((e) => e.seq)).toEqual(seen.map((_, i) => i + 1));
    expect(seen.filter((e) => e.type === 'run.started')).toHaveLength(2);
    expect(seen.at(-1)).toMatchObject({ type: 'run.finished', status: 'succeeded' });
    expect(await runtime.getRun(handle.runId)).toMatchObject({ attempts: 2, lastSeq: seen.length });
  });

  it('keeps a canary secret out of every stored file, event, record and error, whatever a node does with it', async () => {
    const canary = 'sk-canary-5f1d2e9a';
    const dir = await tempDir();
    const runtime = createRuntime({
      registry,
      store: createFileStore({ dir }),
      secrets: [canary],
      services: { secret: canary },
    });
    const seen: unknown[] = [];
    for (const via of ['throw', 'output', 'blob', 'effect', 'log'] as const) {
      const handle = await runtime.run(graph([{ id: 'leak', type: 'test.leak', params: { via } }]));
      handle.subscribe((e) => seen.push(e));
      const result = await handle.result;
      seen.push(result);
      if (via !== 'log') expect(result.nodes.leak?.status).toBe('failed');
    }
    // A secret typed into a graph is refused before anything runs, and the refusal does not repeat it.
    const typed = graph([{ id: 'a', type: 'test.text', params: { text: canary } }]);
    seen.push(await runtime.run(typed).catch((e: RuntimeError) => ({ code: e.code, message: e.message })));
    seen.push(await runtime.listRuns());
    const files = await readdir(dir, { recursive: true, withFileTypes: true });
    const stored = await Promise.all(
      files.filter((f) => f.isFile()).map((f) => readFile(join(f.parentPath, f.name), 'utf8')),
    );
    expect(stored.length).toBeGreaterThan(5);
    expect(seen.length).toBeGreaterThan(20);
    expect(JSON.stringify(seen)).not.toContain(canary);
    for (const text of stored) expect(text).not.toContain(canary);
    expect(JSON.stringify(seen)).toContain('[redacted]');
  });
});

describe('the editor keystroke path through the runtime', () => {
  const doc = graph(
    [
      { id: 'a', type: 'test.text', params: { text: 'one' } },
      { id: 'b', type: 'test.text', params: { text: 'two' } },
    ],
    [],
  );

  it('answers explain and estimate from a memory store without one awaited lookup per node', async () => {
    const store = createMemoryStore();
    const awaited = { get: 0, has: 0 };
    const counted = {
      ...store,
      get: (key: string) => {
        awaited.get++;
        return store.get(key);
      },
      has: (key: string) => {
        awaited.has++;
        return store.has(key);
      },
    };
    const runtime = createRuntime({ registry, store: counted });
    await runtime.explain(doc);
    await runtime.estimate(doc);
    // the store's synchronous capability reaches the engine through the runtime's guard
    expect(awaited).toEqual({ get: 0, has: 0 });
  });

  it('keeps a run’s document as it was started, whatever the host does to its object afterwards', async () => {
    const store = createMemoryStore();
    const runtime = createRuntime({ registry, store });
    const mine = structuredClone(doc);
    const handle = await runtime.run(mine);
    mine.nodes[0]!.params = { text: 'changed after start' };
    await handle.result;
    const record = await store.getRun(handle.runId);
    expect(record?.doc.nodes[0]?.params).toEqual({ text: 'one' });
  });
});

describe('a cache hit whose blobs are gone', () => {
  it('runs the node again instead of succeeding with images that are not there', async () => {
    const dir = await tempDir();
    const doc = graph(
      [
        { id: 'name', type: 'test.text', params: { text: 'lantern' } },
        { id: 'file', type: 'test.bytes' },
      ],
      [['name.text', 'file.text']],
    );
    const first = await (await createRuntime({ registry, store: createFileStore({ dir }) }).run(doc)).result;
    expect(first.nodes.file?.status).toBe('succeeded');
    // the store copied elsewhere without its blobs folder
    await rm(join(dir, 'blobs'), { recursive: true, force: true });
    const runtime = createRuntime({ registry, store: createFileStore({ dir }) });
    const second = await (await runtime.run(doc)).result;
    expect(second.nodes.name?.status).toBe('cached');
    expect(second.nodes.file?.status).toBe('succeeded');
    const ref = second.nodes.file?.outputs?.file as { $blob: string };
    expect(new TextDecoder().decode(await runtime.getBlob(ref.$blob))).toBe('lantern');
  });
});

describe('a run record and its events', () => {
  it('never disagree about the outcome, even when the last record write was lost after the events were appended', async () => {
    const dir = await tempDir();
    const store = createFileStore({ dir });
    const doc = graph([{ id: 'name', type: 'test.text', params: { text: 'lantern' } }], []);
    const handle = await createRuntime({ registry, store }).run(doc);
    expect((await handle.result).status).toBe('succeeded');
    const finished = (await store.getRun(handle.runId))!;
    // the record as the first checkpoint left it: events appended after it, the final rewrite lost (a crash)
    const { finishedAt: _, ...started } = finished;
    await store.putRun({
      ...started,
      status: 'running',
      nodes: {},
      lastSeq: 1,
      updatedAt: finished.startedAt,
    });
    const later = createRuntime({ registry, store: createFileStore({ dir }) });
    const record = await later.getRun(handle.runId);
    expect(record).toMatchObject({ status: 'succeeded', lastSeq: finished.lastSeq });
    expect(record?.nodes.name?.status).toBe('succeeded');
    expect(record?.interrupted).toBeUndefined();
    const [listed] = await later.listRuns({ limit: 1 });
    expect(listed).toMatchObject({ runId: handle.runId, status: 'succeeded' });
  });
});
