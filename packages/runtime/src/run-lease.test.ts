import { createRegistry } from '@loraflow/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createRuntimeHandler } from './http/handler';
import { createRuntime, HEARTBEAT_MS, INTERRUPTED_AFTER_MS } from './runtime';
import { createFileStore } from './store/file';
import { createMemoryStore } from './store/memory';
import { lapseLeases } from './test/lapse';
import { createFakeService, graph, testPack } from './test/pack';
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

/** A runtime over the store folder, served on loopback: one per "process". */
async function serveRuntime(dir: string, service: ReturnType<typeof createFakeService>) {
  const runtime = createRuntime({ registry, store: createFileStore({ dir }), services: { fake: service } });
  const { url } = await listen(createRuntimeHandler(runtime));
  const post = poster(url);
  return { runtime, post };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('run leases', () => {
  it('answers 409 run.active to POST /runs/<id>/resume while the executing process holds the lease, in every process, and resumes once it lapsed', async () => {
    const dir = await tempDir();
    const service = createFakeService();
    const a = await serveRuntime(dir, service);
    const b = await serveRuntime(dir, service);
    const created = await a.post('/runs', { graph: trainGraph });
    expect(created.status).toBe(201);
    const { runId } = (await created.json()) as { runId: string };
    await until(() => service.calls.train === 1);
    const stored = await createFileStore({ dir }).getRun(runId);
    expect(stored?.lease).toEqual({ owner: expect.stringMatching(/^rt_/), expiresAt: expect.any(Number) });

    for (const process of [b, a]) {
      const refused = await process.post(`/runs/${runId}/resume`);
      expect(refused.status).toBe(409);
      expect(await refused.json()).toMatchObject({ error: { code: 'run.active' } });
    }
    expect((await b.runtime.getRun(runId))?.interrupted).toBeUndefined();
    expect(service.calls.train).toBe(1);

    // the executor "dies": a lease period later its run reads as interrupted and is taken up elsewhere
    await lapseLeases(createFileStore({ dir }), dir);
    expect((await b.runtime.getRun(runId))?.interrupted).toBe(true);
    const resumed = await b.post(`/runs/${runId}/resume`);
    expect(resumed.status).toBe(202);
    await until(async () => (await b.runtime.getRun(runId))?.attempts === 2);
    service.finishAll();
    await until(async () => (await createFileStore({ dir }).getRun(runId))?.status === 'succeeded');
    expect(service.calls).toMatchObject({ create: 1, train: 1 });
    expect(await createFileStore({ dir }).getRun(runId)).toMatchObject({ attempts: 2 });
    expect((await createFileStore({ dir }).getRun(runId))?.lease).toBeUndefined();
  });

  it('flags a running record whose lease lapsed as interrupted even though it was written a moment ago', async () => {
    const store = createMemoryStore();
    const service = createFakeService();
    const live = createRuntime({ registry, store, services: { fake: service } });
    const handle = await live.run(trainGraph);
    await until(() => service.calls.train === 1);
    const record = (await store.getRun(handle.runId))!;
    await store.putRun({
      ...record,
      runId: 'run_lapsed',
      lease: { owner: 'rt_gone', expiresAt: Date.now() - 1 },
    });
    const other = createRuntime({ registry, store });
    expect((await other.getRun('run_lapsed'))?.interrupted).toBe(true);
    expect((await other.getRun(handle.runId))?.interrupted).toBeUndefined();
    service.finishAll();
    await handle.result;
  });

  it('fences an executor whose run was taken over after it stalled: it writes nothing more, and its result says run.lease-lost', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
    const store = createMemoryStore();
    const service = createFakeService();
    const stalled = createRuntime({ registry, store, services: { fake: service } });
    const handle = await stalled.run(trainGraph);
    await until(() => service.calls.train === 1);
    // the stalled process misses its heartbeats; another takes the run up once the lease lapsed
    vi.setSystemTime(Date.now() + INTERRUPTED_AFTER_MS + 1_000);
    const heir = createRuntime({ registry, store, services: { fake: service } });
    const resumed = await heir.resume(handle.runId);
    const heirs = (await store.getRun(handle.runId))!.lease!.owner;
    // the stalled process wakes: its next beat finds the lease taken and stops writing
    vi.advanceTimersByTime(HEARTBEAT_MS);
    service.finishAll();
    await expect(handle.result).rejects.toMatchObject({ code: 'run.lease-lost', status: 409 });
    expect((await resumed.result).status).toBe('succeeded');
    const record = (await store.getRun(handle.runId))!;
    expect(record).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect(heirs).toMatch(/^rt_/);
    expect(record.lease).toBeUndefined();
    // the stalled attempt's late events were not appended beside the heir's: every number is there once
    const seqs = (await store.getEvents(handle.runId)).map((e) => e.seq);
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(service.calls).toMatchObject({ create: 1, train: 1 });
  });
});
