import type { GraphDocument, GraphEdge, GraphNode } from '@loraflow/core';
import { EMULATOR_CREDENTIALS, FAIL_TRAINING_MARKER } from '@loraflow/emulator/node';
import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, memoryFiles, pngDataUrl, startHarness } from './test/harness';
import type { ImagesValue } from './values';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47];

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const edge = (
  id: string,
  from: string,
  fromPort: string,
  to: string,
  toPort: string,
  settings?: Record<string, unknown>,
): GraphEdge => ({
  id,
  from: { node: from, port: fromPort },
  to: { node: to, port: toPort },
  ...(settings ? { settings } : {}),
});

function pipeline(o: { prompt?: string; seed?: number | undefined; trainName?: string } = {}): GraphDocument {
  const gen: GraphNode = {
    id: 'gen',
    type: 'generate.multiLora',
    params: { width: 512, height: 512, samples: 2, ...(o.seed !== undefined ? { seed: o.seed } : {}) },
  };
  return {
    format: 'loraflow.graph',
    version: 1,
    name: 'train, compose, generate',
    nodes: [
      {
        id: 'set',
        type: 'training.set',
        params: { images: [1, 2, 3].map((i) => ({ dataUrl: pngDataUrl(i), name: `cat-${i}.png` })) },
      },
      {
        id: 'train',
        type: 'lora.train',
        params: { modelType: 'flux.1-lora', name: o.trainName ?? 'my cat', parameters: { nbEpochs: 2 } },
      },
      { id: 'wait', type: 'lora.wait', params: { timeoutMinutes: 120 } },
      {
        id: 'style',
        type: 'lora.source',
        params: { modelId: 'model_flux1-watercolor', modelType: 'flux.1-lora' },
      },
      { id: 'blend', type: 'lora.compose', params: { name: 'cat in watercolor' } },
      { id: 'prompt', type: 'text.prompt', params: { text: o.prompt ?? 'a cat on a windowsill' } },
      gen,
      { id: 'show', type: 'image.preview', params: {} },
    ],
    edges: [
      edge('e1', 'set', 'set', 'train', 'set'),
      edge('e2', 'train', 'training', 'wait', 'training'),
      edge('e3', 'wait', 'lora', 'blend', 'loras', { scale: 0.8 }),
      edge('e4', 'style', 'lora', 'blend', 'loras', { scale: 0.5 }),
      edge('e5', 'blend', 'lora', 'gen', 'loras', { strength: 1 }),
      edge('e6', 'prompt', 'text', 'gen', 'prompt'),
      edge('e7', 'gen', 'images', 'show', 'images'),
    ],
  };
}

const sideEffectCounts = (x: Harness) => ({
  creates: x.count('scenario.models.create'),
  uploads: x.count('scenario.models.trainingImages.add'),
  trains: x.count('scenario.models.train'),
});

/** How many trainings of a LoRA (not a composition's finalising train) the emulator started. */
async function loraTrainings(x: Harness): Promise<number> {
  const ids = x.server.emulator.log
    .entries({ route: 'scenario.models.train' })
    .filter((e) => e.route === 'scenario.models.train' && e.status < 300)
    .map((e) => e.modelId ?? '');
  const models = await Promise.all(ids.map((id) => x.scenario.getModel(id)));
  return models.filter((m) => m.type === 'flux.1-lora').length;
}

describe('the LoRA pipeline against the emulator over HTTP', () => {
  it('trains, waits, composes and generates end to end, storing PNGs', async () => {
    h = await startHarness();
    const doc = pipeline({ seed: 42 });
    expect(h.engine.validate(doc)).toEqual({ ok: true, issues: [] });
    const { result, events } = await h.run(doc);
    expect(result.status).toBe('succeeded');
    const images = result.nodes.show?.outputs?.images as ImagesValue;
    expect(images).toHaveLength(2);
    for (const image of images) {
      const bytes = await h.store.getBlob(image.blob.$blob);
      expect([...(bytes ?? new Uint8Array()).subarray(0, 4)]).toEqual(PNG_SIGNATURE);
      expect(image).toMatchObject({ provider: 'scenario', seed: 42 });
    }
    expect(sideEffectCounts(h)).toEqual({ creates: 2, uploads: 3, trains: 2 });
    expect(h.count('scenario.generate.txt2img')).toBe(1);
    const progress = events.flatMap((e) => (e.type === 'node.progress' && e.nodeId === 'wait' ? [e] : []));
    expect(progress.length).toBeGreaterThan(1);
    expect(
      progress.some(
        (e) => e.detail?.remainingTimeMs !== undefined && /running-train, \d+%, about/.test(e.message ?? ''),
      ),
    ).toBe(true);
    const blend = result.nodes.blend?.outputs?.lora as { id: string; modelType: string; family: string };
    expect(blend).toMatchObject({ modelType: 'flux.1-composition', family: 'flux.1', provider: 'scenario' });
    const composition = await h.scenario.getModel(blend.id);
    expect(composition.concepts?.map((c) => c.scale)).toEqual([0.8, 0.5]);
  });

  it('re-runs only the generation when only the prompt changes', async () => {
    h = await startHarness();
    expect((await h.run(pipeline({ seed: 7 }))).result.status).toBe('succeeded');
    const before = sideEffectCounts(h);
    const { result, events } = await h.run(pipeline({ seed: 7, prompt: 'a cat on a rooftop at night' }));
    expect(result.status).toBe('succeeded');
    expect(sideEffectCounts(h)).toEqual(before);
    expect(h.count('scenario.generate.txt2img')).toBe(2);
    const cached = events
      .filter((e) => e.type === 'node.cached')
      .map((e) => (e as { nodeId: string }).nodeId);
    expect(cached).toEqual(expect.arrayContaining(['set', 'train', 'wait', 'style', 'blend']));
    expect(cached).not.toContain('gen');
  });

  it('reuses a seeded generation but runs an unseeded one again', async () => {
    h = await startHarness();
    await h.run(pipeline({ seed: 3 }));
    await h.run(pipeline({ seed: 3 }));
    expect(h.count('scenario.generate.txt2img')).toBe(1);
    await h.run(pipeline({ seed: undefined }));
    await h.run(pipeline({ seed: undefined }));
    expect(h.count('scenario.generate.txt2img')).toBe(3);
  });

  it('trains again in another Scenario project sharing the store, whose models the first cannot see', async () => {
    h = await startHarness();
    const projectA = h.inProject('proj_a');
    const projectB = h.inProject('proj_b');
    const inA = await projectA.run(pipeline({ seed: 5 })).result;
    expect(inA.status).toBe('succeeded');
    expect((await projectA.run(pipeline({ seed: 5 })).result).nodes.train?.status).toBe('cached');
    expect(sideEffectCounts(h).trains).toBe(2);
    // Project B cannot use A's models, so nothing of A's may come from the cache: a new prompt
    // generates with B's own composition instead of failing on a model it cannot see.
    const inB = await projectB.run(pipeline({ seed: 5, prompt: 'a cat in project B' })).result;
    expect(inB.status).toBe('succeeded');
    expect(inB.nodes.train?.status).toBe('succeeded');
    expect(sideEffectCounts(h).trains).toBe(4);
    const trained = (r: typeof inA) => (r.nodes.wait?.outputs?.lora as { id: string } | undefined)?.id;
    expect(trained(inB)).not.toBe(trained(inA));
    // what would have happened with a shared key: A's model is not found from project B
    const auth = `Basic ${btoa(`${EMULATOR_CREDENTIALS.scenario.key}:${EMULATOR_CREDENTIALS.scenario.secret}`)}`;
    const seen = (model: string, project: string) =>
      h!.server.emulator
        .fetch(`${h!.server.url}/scenario/v1/models/${model}?projectId=${project}`, {
          headers: { authorization: auth },
        })
        .then((r) => r.status);
    expect(await seen(trained(inA)!, 'proj_b')).toBe(404);
    expect(await seen(trained(inB)!, 'proj_b')).toBe(200);
  });

  it('does not create, upload or train twice when a run resumes after a crash between intent and result', async () => {
    h = await startHarness();
    expect((await h.run(pipeline({ seed: 1 }))).result.status).toBe('succeeded');
    const before = sideEffectCounts(h);
    // A crash right after each remote call: intents recorded, results lost, cache entries lost.
    const records = await h.store.listRecords();
    for (const record of records) {
      const { result: _lost, ...intentOnly } = record;
      await h.store.putRecord({ ...intentOnly, state: 'intent' });
    }
    const plan = h.engine.plan(pipeline({ seed: 1 }));
    for (const key of Object.values(plan.keys)) if (key) await h.store.delete(key);
    const { result } = await h.run(pipeline({ seed: 1 }));
    expect(result.status).toBe('succeeded');
    expect(sideEffectCounts(h)).toEqual(before);
  });

  it('sends the cancel action when the run is cancelled during training, leaving no training running', async () => {
    // Polls wait until the run is cancelled, as a long training would.
    h = await startHarness({
      sleep: (_ms, signal) =>
        new Promise((_resolve, reject) =>
          signal?.addEventListener('abort', () => reject(signal.reason), { once: true }),
        ),
    });
    const controller = new AbortController();
    const { result } = await h.run(pipeline({ seed: 1 }), {
      signal: controller.signal,
      onEvent: (e) => {
        if (e.type === 'node.progress' && e.nodeId === 'wait') controller.abort();
      },
    });
    expect(result.status).toBe('cancelled');
    // The engine settles a cancelled run at once; the node's cancel request is still on its way.
    await expect.poll(() => h?.count('scenario.models.train.action')).toBe(1);
    const trainingId = h.server.emulator.log.entries({ route: 'scenario.models.train' })[0]?.modelId ?? '';
    expect((await h.scenario.getModel(trainingId)).status).toBe('training-canceled');
    expect(h.count('scenario.generate.txt2img')).toBe(0);
  });

  it('trains again, once, after a run was cancelled during training, instead of reusing the cancelled training', async () => {
    let block = true;
    const advance = (ms: number) => h!.server.emulator.clock.advance(ms);
    h = await startHarness({
      // The first run's polls wait until it is cancelled, as a long training would; later runs advance the clock.
      sleep: (ms, signal) =>
        block
          ? new Promise((_resolve, reject) =>
              signal?.addEventListener('abort', () => reject(signal.reason), { once: true }),
            )
          : Promise.resolve(advance(ms)),
    });
    const controller = new AbortController();
    const first = await h.run(pipeline({ seed: 4 }), {
      signal: controller.signal,
      onEvent: (e) => {
        if (e.type === 'node.progress' && e.nodeId === 'wait') controller.abort();
      },
    });
    expect(first.result.status).toBe('cancelled');
    await expect.poll(() => h?.count('scenario.models.train.action')).toBe(1);
    block = false;
    const second = await h.run(pipeline({ seed: 4 }));
    expect(second.result.nodes.wait?.error).toBeUndefined();
    expect(second.result.status).toBe('succeeded');
    expect(second.result.nodes.train?.status).toBe('succeeded');
    // one training per run: the cancelled one and the new one (the composition's finalising train aside)
    expect(await loraTrainings(h)).toBe(2);
    const third = await h.run(pipeline({ seed: 4 }));
    expect(third.result.status).toBe('succeeded');
    expect(third.result.nodes.train?.status).toBe('cached');
    expect(await loraTrainings(h)).toBe(2);
  });

  it("fails the wait node with the provider's reason when the training fails, and skips what depends on it", async () => {
    h = await startHarness();
    const { result } = await h.run(pipeline({ seed: 1, trainName: `please ${FAIL_TRAINING_MARKER}` }));
    expect(result.status).toBe('failed');
    expect(result.nodes.wait?.error?.code).toBe('training.failed');
    expect(result.nodes.wait?.error?.message).toMatch(/^The training of model \S+ failed at Scenario: /);
    expect(result.nodes.gen?.status).toBe('skipped');
  });

  it('fails the wait node as cancelled when the training is cancelled at Scenario by someone else', async () => {
    let cancelled = false;
    h = await startHarness({
      sleep: async (ms) => {
        const x = h!;
        const training = x.server.emulator.log
          .entries({ route: 'scenario.models.train' })
          .find((e) => e.route === 'scenario.models.train');
        if (!cancelled && training?.modelId) {
          cancelled = true;
          await x.scenario.cancelTraining(training.modelId);
        }
        x.server.emulator.clock.advance(ms);
      },
    });
    const { result } = await h.run(pipeline({ seed: 1 }));
    expect(result.nodes.wait?.error?.code).toBe('training.cancelled');
    expect(result.nodes.wait?.error?.message).toMatch(/^The training of model \S+ was cancelled at Scenario/);
  });

  it('gives up waiting after the timeout without restarting the training', async () => {
    h = await startHarness();
    const doc = pipeline({ seed: 1 });
    const wait = doc.nodes.find((n) => n.id === 'wait')!;
    wait.params = { timeoutMinutes: 1 };
    const { result } = await h.run(doc);
    expect(result.nodes.wait?.error?.code).toBe('training.timeout');
    expect(result.nodes.wait?.error?.message).toMatch(
      /^Model \S+ was still training after 1 min; run again to keep waiting/,
    );
    expect(h.count('scenario.models.train.action')).toBe(0);
  });

  it('finishes with no duplicate creates or trains while the emulator injects 20 % faults', async () => {
    h = await startHarness();
    h.server.emulator.faults.set([
      // The worst moments: the provider acted, the client never heard.
      { route: 'POST /scenario/v1/models', rate: 1, kind: 'reset', phase: 'after', times: 1 },
      { route: 'POST /scenario/v1/models/*/training-images', rate: 1, kind: '5xx', phase: 'after', times: 1 },
      { route: 'PUT /scenario/v1/models/*/train', rate: 1, kind: 'reset', phase: 'after', times: 1 },
      { route: '/scenario/**', rate: 0.07, kind: '429', retryAfterS: 1 },
      { route: '/scenario/**', rate: 0.07, kind: '5xx', phase: 'after' },
      { route: '/scenario/**', rate: 0.06, kind: 'reset', phase: 'after' },
    ]);
    const { result } = await h.run(pipeline({ seed: 9 }));
    expect(result.status).toBe('succeeded');
    const log = h.server.emulator.log;
    expect(log.entries().filter((e) => e.fault !== undefined).length).toBeGreaterThanOrEqual(3);
    // Every request that reached a create or train route is in the log, faulted or not: one per model.
    expect(
      log.entries({ route: 'scenario.models.create' }).filter((e) => e.route === 'scenario.models.create'),
    ).toHaveLength(2);
    expect(
      log.entries({ route: 'scenario.models.train' }).filter((e) => e.route === 'scenario.models.train'),
    ).toHaveLength(2);
    expect((await h.scenario.listModels({})).items).toHaveLength(2);
    const trained = result.nodes.wait?.outputs?.lora as { id: string };
    expect((await h.scenario.getModel(trained.id)).trainingImages).toHaveLength(3);
  });

  it('keeps a canary secret out of the journal, the cache, the events and the errors', async () => {
    const canary = 'canary-secret-7f3a9c2e';
    h = await startHarness({ scenarioSecret: canary });
    const { result, events } = await h.run(pipeline({ seed: 5 }));
    expect(result.status).toBe('succeeded');
    const records = await h.store.listRecords();
    const entries = await Promise.all(
      Object.values(h.engine.plan(pipeline({ seed: 5 })).keys).map((k) => (k ? h!.store.get(k) : undefined)),
    );
    const everything = JSON.stringify({ records, entries, events, result });
    expect(records.length).toBeGreaterThan(5);
    expect(everything).not.toContain(canary);
    expect(everything).not.toContain(btoa(`api_emulator:${canary}`));
  });
});

describe('image output nodes', () => {
  it('saves generated images through the host files service', async () => {
    const files = memoryFiles();
    h = await startHarness({ files });
    const doc: GraphDocument = {
      format: 'loraflow.graph',
      version: 1,
      nodes: [
        {
          id: 'l',
          type: 'lora.source',
          params: { modelId: 'model_zimage-golden-hour', modelType: 'zimage-lora' },
        },
        {
          id: 'gen',
          type: 'generate.multiLora',
          params: { prompt: 'a harbour', width: 512, height: 512, samples: 2, seed: 2 },
        },
        { id: 'save', type: 'image.save', params: { prefix: 'harbour' } },
      ],
      edges: [
        edge('a', 'l', 'lora', 'gen', 'loras', { strength: 0.7 }),
        edge('b', 'gen', 'images', 'save', 'images'),
      ],
    };
    const { result } = await h.run(doc);
    expect(result.status).toBe('succeeded');
    expect([...files.written.keys()]).toEqual(['harbour-1.png', 'harbour-2.png']);
    expect([...(files.written.get('harbour-1.png') ?? new Uint8Array()).subarray(0, 4)]).toEqual(
      PNG_SIGNATURE,
    );
  });

  it('refuses a save prefix that could leave the folder', async () => {
    h = await startHarness();
    const doc: GraphDocument = {
      format: 'loraflow.graph',
      version: 1,
      nodes: [{ id: 'save', type: 'image.save', params: { prefix: '../etc' } }],
      edges: [],
    };
    expect(h.engine.validate(doc).issues.map((i) => i.path.join('.'))).toContain('nodes.0.params.prefix');
  });
});
