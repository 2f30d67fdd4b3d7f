import type { GraphDocument } from '@loraflow/core';
import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, pngDataUrl, startHarness } from './test/harness';
import type { ImagesValue } from './values';
import type { WebhookService } from './webhooks';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

function graph(instancePrompt = 'photo of lnt0 lantern'): GraphDocument {
  return {
    format: 'loraflow.graph',
    version: 1,
    nodes: [
      {
        id: 'set',
        type: 'training.set',
        params: { images: [1, 2, 3].map((i) => ({ dataUrl: pngDataUrl(i) })) },
      },
      {
        id: 'train',
        type: 'lora.trainModelsLab',
        params: { family: 'sd-xl', instancePrompt, classPrompt: 'photo of a lantern' },
      },
      { id: 'wait', type: 'lora.wait', params: {} },
      {
        id: 'detail',
        type: 'lora.source',
        params: { provider: 'modelslab', modelId: 'add-detail-xl', family: 'sd-xl' },
      },
      {
        id: 'gen',
        type: 'generate.multiLora',
        params: { prompt: 'a lantern at dusk', width: 512, height: 512, seed: 4 },
      },
      { id: 'show', type: 'image.preview', params: {} },
    ],
    edges: [
      { id: 'a', from: { node: 'set', port: 'set' }, to: { node: 'train', port: 'set' } },
      { id: 'b', from: { node: 'train', port: 'training' }, to: { node: 'wait', port: 'training' } },
      {
        id: 'c',
        from: { node: 'wait', port: 'lora' },
        to: { node: 'gen', port: 'loras' },
        settings: { strength: 0.7 },
      },
      {
        id: 'd',
        from: { node: 'detail', port: 'lora' },
        to: { node: 'gen', port: 'loras' },
        settings: { strength: 0.5 },
      },
      { id: 'e', from: { node: 'gen', port: 'images' }, to: { node: 'show', port: 'images' } },
    ],
  };
}

describe('ModelsLab training', () => {
  it('trains an SDXL LoRA on ModelsLab, waits through its stages and generates with it', async () => {
    h = await startHarness();
    expect(h.engine.validate(graph()).issues).toEqual([]);
    const { result, events } = await h.run(graph());
    expect(result.status).toBe('succeeded');
    expect(result.nodes.wait?.outputs?.lora).toMatchObject({ provider: 'modelslab', family: 'sd-xl' });
    expect(result.nodes.show?.outputs?.images as ImagesValue).toHaveLength(1);
    expect(h.count('modelslab.base64Crop')).toBe(3);
    expect(h.count('modelslab.training.create')).toBe(1);
    expect(h.count('modelslab.text2img')).toBe(1);
    const stages = events.flatMap((e) =>
      e.type === 'node.progress' && e.nodeId === 'wait' ? [e.message] : [],
    );
    expect(stages).toContain('model_ready');
  });

  it('hands ModelsLab a webhook, yet ends the wait on its status only: a forged "ended" callback cannot finish it', async () => {
    let wokenAt: number | undefined;
    let clock: { now(): number; advance(ms: number): void } | undefined;
    const webhooks: WebhookService = {
      safetyNetMs: 60_000,
      // a loopback port nobody answers: the emulator calls it, records the failed call, and nothing leaves the machine
      url: async (kind, hook) => `http://127.0.0.1:9/hooks/${kind}/${hook}/token`,
      // a callback that says the training ended arrives at once, before ModelsLab has trained anything
      ended: async () => {
        wokenAt ??= clock?.now();
      },
    };
    h = await startHarness({
      webhooks,
      // a pause the callback cut short lets no emulated time pass
      sleep: async (ms, signal) => {
        await new Promise((resolve) => setImmediate(resolve));
        if (!signal?.aborted) clock?.advance(ms);
      },
    });
    clock = h.server.emulator.clock;
    const { result, events } = await h.run(graph());
    expect(result.status).toBe('succeeded');
    expect(result.nodes.train?.outputs?.training).toMatchObject({ webhook: true });
    // ModelsLab got the callback URL: the emulator called it at each stage
    await h.server.emulator.webhooks.settle();
    expect(h.server.emulator.webhooks.deliveries().map((d) => d.url)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^http:\/\/127\.0\.0\.1:9\/hooks\/modelslab-training\//),
      ]),
    );
    expect(wokenAt).toBeDefined();
    // the wait went on reading the status after the forged end, until ModelsLab said model_ready
    const stages = events.flatMap((e) =>
      e.type === 'node.progress' && e.nodeId === 'wait' ? [e.message] : [],
    );
    expect(stages).toContain('model_ready');
    expect(clock.now() - (wokenAt ?? 0)).toBeGreaterThan(60_000);
  });

  it('trains on when the webhook service cannot bind the callback URL: the callback is a hint, the status reads go on', async () => {
    const webhooks: WebhookService = {
      safetyNetMs: 1_000,
      url: async (kind, hook) => `http://127.0.0.1:9/hooks/${kind}/${hook}/token`,
      bind: async () => {
        throw new Error('The webhook journal could not be written.');
      },
      ended: (_kind, _job, signal) =>
        new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
    };
    h = await startHarness({ webhooks });
    const { result } = await h.run(graph());
    expect(result.status).toBe('succeeded');
    expect(result.nodes.train?.outputs?.training).toMatchObject({ webhook: true });
    expect(h.count('modelslab.training.create')).toBe(1);
  });

  it("fails the wait with ModelsLab's reason when the training fails", async () => {
    h = await startHarness();
    const { result } = await h.run(graph('photo of lnt0 lantern fail-training'));
    expect(result.nodes.wait?.error?.code).toBe('training.failed');
    expect(result.nodes.wait?.error?.message).toMatch(/^The training \S+ failed at ModelsLab: /);
    expect(result.nodes.gen?.status).toBe('skipped');
  });

  it('cancels the ModelsLab training when the run is cancelled while waiting', async () => {
    h = await startHarness({
      sleep: (_ms, signal) =>
        new Promise((_resolve, reject) =>
          signal?.addEventListener('abort', () => reject(signal.reason), { once: true }),
        ),
    });
    const controller = new AbortController();
    const { result } = await h.run(graph(), {
      signal: controller.signal,
      onEvent: (e) => {
        if (e.type === 'node.started' && e.nodeId === 'wait') queueMicrotask(() => controller.abort());
      },
    });
    expect(result.status).toBe('cancelled');
    await expect.poll(() => h?.count('modelslab.training.cancel')).toBe(1);
  });

  it('trains again, once, after a run was cancelled while waiting, instead of reusing the cancelled training', async () => {
    let block = true;
    h = await startHarness({
      sleep: (ms, signal) =>
        block
          ? new Promise((_resolve, reject) =>
              signal?.addEventListener('abort', () => reject(signal.reason), { once: true }),
            )
          : Promise.resolve(h!.server.emulator.clock.advance(ms)),
    });
    const controller = new AbortController();
    const first = await h.run(graph(), {
      signal: controller.signal,
      onEvent: (e) => {
        if (e.type === 'node.started' && e.nodeId === 'wait') queueMicrotask(() => controller.abort());
      },
    });
    expect(first.result.status).toBe('cancelled');
    await expect.poll(() => h?.count('modelslab.training.cancel')).toBe(1);
    block = false;
    const second = await h.run(graph());
    expect(second.result.nodes.wait?.error).toBeUndefined();
    expect(second.result.status).toBe('succeeded');
    expect(h.count('modelslab.training.create')).toBe(2);
    expect((await h.run(graph())).result.nodes.train?.status).toBe('cached');
    expect(h.count('modelslab.training.create')).toBe(2);
  });

  it('refuses a LoRA trained on ModelsLab in a Scenario composition', async () => {
    h = await startHarness();
    const doc = graph();
    doc.nodes.push({ id: 'blend', type: 'lora.compose', params: { name: 'x' } });
    doc.edges.push({
      id: 'f',
      from: { node: 'wait', port: 'lora' },
      to: { node: 'blend', port: 'loras' },
      settings: { scale: 1 },
    });
    expect(h.engine.validate(doc).issues.map((i) => i.message)).toEqual([
      'Edge "f" (wait.lora → blend.loras): A ModelsLab SDXL LoRA output cannot connect to a Scenario LoRA (FLUX.1, SDXL or SD 1.5) input: a model on ModelsLab cannot be used by Scenario.',
    ]);
  });
});
