import { createRegistry, initialRunState, type RunEvent, reduceRunState } from '@loraflow/core';
import { describe, expect, it } from 'vitest';
import { RuntimeError } from './errors';
import { createRuntimeHandler } from './http/handler';
import { createRemoteRuntime } from './remote';
import { createRuntime } from './runtime';
import { createMemoryStore } from './store/memory';
import { createFakeService, type FakeService, graph, testPack } from './test/pack';
import { listen } from './test/serve';
import { until } from './test/until';
import type { Runtime } from './types';

const registry = createRegistry(testPack);

async function local(service: FakeService): Promise<Runtime> {
  return createRuntime({ registry, store: createMemoryStore(), services: { fake: service } });
}

async function remote(service: FakeService): Promise<Runtime> {
  const server = createRuntime({ registry, store: createMemoryStore(), services: { fake: service } });
  const { url } = await listen(createRuntimeHandler(server, { heartbeatMs: 50 }));
  return createRemoteRuntime({ baseUrl: url, reconnectDelayMs: 10 });
}

const joinGraph = graph(
  [
    { id: 'a', type: 'test.text', params: { text: 'hello' } },
    { id: 'b', type: 'test.text', params: { text: 'world' } },
    { id: 'join', type: 'test.concat', params: { separator: ', ' } },
  ],
  [
    ['a.text', 'join.parts'],
    ['b.text', 'join.parts', { upper: true }],
  ],
);

const trainGraph = graph(
  [
    { id: 'name', type: 'test.text', params: { text: 'cat' } },
    { id: 'train', type: 'test.train', params: { steps: 5 } },
  ],
  [['name.text', 'train.name']],
);

/** Starts a training and cancels it through its handle once the provider has it. */
async function cancelledTraining(open: (service: FakeService) => Promise<Runtime>) {
  const service = createFakeService();
  const runtime = await open(service);
  const handle = await runtime.run(trainGraph);
  await until(() => service.calls.train === 1);
  handle.cancel();
  return { runtime, handle, result: await handle.result };
}

describe.each([
  ['local', local],
  ['remote', remote],
])('a %s runtime', (_kind, open) => {
  it('runs a graph and gives each node’s outcome and outputs', async () => {
    const runtime = await open(createFakeService());
    const handle = await runtime.run(joinGraph);
    const result = await handle.result;
    expect(result.status).toBe('succeeded');
    expect(result.runId).toBe(handle.runId);
    expect(result.nodes.join).toMatchObject({ status: 'succeeded', outputs: { text: 'hello, WORLD' } });
    expect(handle.getSnapshot()).toMatchObject({
      status: 'succeeded',
      nodes: { join: { status: 'succeeded' } },
    });
  });

  it('gives a snapshot that is the fold of the run’s events, and a record whose nodes are that snapshot as stored', async () => {
    const { runtime, handle, result } = await cancelledTraining(open);
    expect(result.status).toBe('cancelled');
    const events: RunEvent[] = [];
    for await (const e of runtime.events(handle.runId)) events.push(e);
    const folded = events.reduce(reduceRunState, initialRunState(handle.runId, 0));
    expect(folded.nodes.train).toMatchObject({ status: 'cancelled', progress: { message: 'training' } });
    expect(folded.nodes.name).toMatchObject({ status: 'succeeded', outputs: { text: 'cat' } });
    expect(handle.getSnapshot()).toEqual(folded);
    // the record keeps no progress
    const stored = Object.fromEntries(
      Object.entries(folded.nodes).map(([id, { progress: _, ...node }]) => [id, node]),
    );
    expect((await runtime.getRun(handle.runId))?.nodes).toEqual(stored);
  });

  it('streams every event in order to a subscriber, ending with run.finished', async () => {
    const runtime = await open(createFakeService());
    const handle = await runtime.run(joinGraph);
    const seen: RunEvent[] = [];
    handle.subscribe((e) => seen.push(e));
    await handle.result;
    expect(seen.map((e) => e.seq)).toEqual(seen.map((_, i) => i + 1));
    expect(seen[0]).toMatchObject({ type: 'run.started', nodeIds: ['a', 'b', 'join'] });
    expect(seen.at(-1)).toMatchObject({ type: 'run.finished', status: 'succeeded' });
    expect(seen.filter((e) => e.type === 'node.succeeded')).toHaveLength(3);
  });

  it('serves a second run of the same graph from the cache and says so in explain', async () => {
    const runtime = await open(createFakeService());
    await (await runtime.run(joinGraph)).result;
    expect((await runtime.explain(joinGraph)).every((e) => !e.willRun && e.reason.code === 'cache.hit')).toBe(
      true,
    );
    const again = await (await runtime.run(joinGraph)).result;
    expect(Object.values(again.nodes).map((n) => n.status)).toEqual(['cached', 'cached', 'cached']);
    expect(again.nodes.join?.outputs).toEqual({ text: 'hello, WORLD' });
  });

  it('refuses an invalid graph with graph.invalid and every issue', async () => {
    const runtime = await open(createFakeService());
    const broken = graph([
      { id: 'j', type: 'test.concat', params: { separator: 3 } },
      { id: 'x', type: 'nope' },
    ]);
    const error = await runtime.run(broken).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RuntimeError);
    expect((error as RuntimeError).code).toBe('graph.invalid');
    expect((error as RuntimeError).issues?.map((i) => i.code).sort()).toEqual(
      ['input.missing', 'node.unknown-type', 'params.invalid'].sort(),
    );
    const checked = await runtime.validate(broken);
    expect(checked.ok).toBe(false);
    expect(checked.issues.find((i) => i.code === 'params.invalid')?.path).toEqual([
      'nodes',
      0,
      'params',
      'separator',
    ]);
    expect(await runtime.validate(joinGraph)).toEqual({ ok: true, issues: [] });
    expect((await runtime.validate({ format: 'nope' })).issues[0]?.code).toBe('document.format');
  });

  it('reports a failed node with its code and message and skips what depends on it', async () => {
    const runtime = await open(createFakeService());
    const doc = graph(
      [
        { id: 'bad', type: 'test.fail', params: { message: 'the provider said no' } },
        { id: 'join', type: 'test.concat' },
        { id: 'ok', type: 'test.text', params: { text: 'fine' } },
      ],
      [['bad.text', 'join.parts']],
    );
    const result = await (await runtime.run(doc)).result;
    expect(result.status).toBe('failed');
    expect(result.nodes.bad).toMatchObject({
      status: 'failed',
      error: { code: 'test.failed', message: 'the provider said no' },
    });
    expect(result.nodes.join?.status).toBe('skipped');
    expect(result.nodes.ok?.status).toBe('succeeded');
  });

  it('estimates the cost of the nodes that will run', async () => {
    const runtime = await open(createFakeService());
    const estimate = await runtime.estimate(trainGraph);
    expect(estimate).toMatchObject({ totals: { credits: 10 }, willRun: 2, fromCache: 0 });
  });

  it('says in each estimate node whether it will run and why, as explain does (the editor asks estimate only)', async () => {
    const runtime = await open(createFakeService());
    await (await runtime.run(joinGraph)).result;
    const edited = {
      ...joinGraph,
      nodes: joinGraph.nodes.map((n) => (n.id === 'b' ? { ...n, params: { text: 'you' } } : n)),
    };
    const estimate = await runtime.estimate(edited);
    expect(estimate.nodes.map(({ type: _, cost: __, costUnknown: ___, ...entry }) => entry)).toEqual(
      await runtime.explain(edited),
    );
    expect(estimate.nodes.find((n) => n.nodeId === 'b')).toMatchObject({
      type: 'test.text',
      willRun: true,
      reason: { code: 'params.changed', params: ['text'] },
    });
    expect(estimate.nodes.find((n) => n.nodeId === 'a')).toMatchObject({
      willRun: false,
      reason: { code: 'cache.hit' },
    });
  });

  it('cancels a run during training, and the provider’s training with it', async () => {
    const service = createFakeService();
    const runtime = await open(service);
    const handle = await runtime.run(trainGraph);
    await until(() => service.calls.train === 1);
    await runtime.cancel(handle.runId);
    const result = await handle.result;
    expect(result.status).toBe('cancelled');
    await until(() => service.calls.cancel === 1);
    expect([...service.jobs.values()].every((j) => j.status !== 'running')).toBe(true);
    expect((await runtime.getRun(handle.runId))?.status).toBe('cancelled');
  });

  it('cancels through the run handle too', async () => {
    expect((await cancelledTraining(open)).result.status).toBe('cancelled');
  });

  it('resumes a finished run under the same id, from the cache, continuing its event sequence', async () => {
    const service = createFakeService();
    const runtime = await open(service);
    const first = await runtime.run(trainGraph);
    await until(() => service.calls.train === 1);
    service.finishAll();
    await first.result;
    const resumed = await runtime.resume(first.runId);
    expect(resumed.runId).toBe(first.runId);
    const seen: RunEvent[] = [];
    resumed.subscribe((e) => seen.push(e));
    const result = await resumed.result;
    expect(result.nodes.train?.status).toBe('cached');
    expect(seen[0]?.seq).toBe(resumed.after + 1);
    expect(seen[0]?.type).toBe('run.started');
    expect(service.calls).toMatchObject({ create: 1, train: 1 });
    expect(await runtime.getRun(first.runId)).toMatchObject({ attempts: 2, status: 'succeeded' });
  });

  it('keeps the run history, newest first, and replays a run’s events from any point', async () => {
    const runtime = await open(createFakeService());
    const one = await runtime.run(joinGraph);
    await one.result;
    const two = await runtime.run(joinGraph, { targets: ['a'] });
    await two.result;
    const runs = await runtime.listRuns();
    expect(runs.map((r) => r.runId)).toEqual([two.runId, one.runId]);
    expect(runs[0]).toMatchObject({ targets: ['a'], status: 'succeeded', doc: joinGraph });
    expect(await runtime.listRuns({ limit: 1 })).toHaveLength(1);
    const all: RunEvent[] = [];
    for await (const e of runtime.events(one.runId)) all.push(e);
    const tail: RunEvent[] = [];
    for await (const e of runtime.events(one.runId, { after: 3 })) tail.push(e);
    expect(tail).toEqual(all.slice(3));
  });

  it('answers an unknown run with run.not-found, and no record', async () => {
    const runtime = await open(createFakeService());
    expect(await runtime.getRun('missing')).toBeUndefined();
    await expect(runtime.resume('missing')).rejects.toMatchObject({ code: 'run.not-found' });
    await expect(runtime.cancel('missing')).rejects.toMatchObject({ code: 'run.not-found' });
    const follow = async () => {
      for await (const _ of runtime.events('missing')) break;
    };
    await expect(follow()).rejects.toMatchObject({ code: 'run.not-found' });
  });

  it('gives back the bytes a node stored, and nothing for an unknown hash', async () => {
    const runtime = await open(createFakeService());
    const doc = graph(
      [
        { id: 't', type: 'test.text', params: { text: 'some bytes' } },
        { id: 'file', type: 'test.bytes' },
      ],
      [['t.text', 'file.text']],
    );
    const result = await (await runtime.run(doc)).result;
    const ref = result.nodes.file?.outputs?.file as { $blob: string };
    expect(new TextDecoder().decode(await runtime.getBlob(ref.$blob))).toBe('some bytes');
    expect(await runtime.getBlob('f'.repeat(64))).toBeUndefined();
  });

  it('lists every node type with its params as JSON Schema and its ports', async () => {
    const runtime = await open(createFakeService());
    const { nodes, types } = await runtime.catalogue();
    const concat = nodes.find((n) => n.type === 'test.concat');
    expect(concat).toMatchObject({
      pack: 'test',
      version: 1,
      cache: 'pure',
      sideEffects: false,
      inputs: [{ name: 'parts', multiple: true, type: { kind: 'string' } }],
      outputs: [{ name: 'text', type: { kind: 'string' } }],
      params: { type: 'object', properties: { separator: { type: 'string', default: ' ' } } },
    });
    expect(concat?.inputs[0]?.settings).toMatchObject({ properties: { upper: { type: 'boolean' } } });
    expect(nodes.find((n) => n.type === 'test.train')).toMatchObject({ sideEffects: true, category: 'Test' });
    expect(types.map((t) => t.kind)).toContain('string');
  });
});
