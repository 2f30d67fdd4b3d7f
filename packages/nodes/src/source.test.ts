import type { GraphDocument } from '@loraflow/core';
import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, pngDataUrl, startHarness } from './test/harness';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const one = (params: Record<string, unknown>): GraphDocument => ({
  format: 'loraflow.graph',
  version: 1,
  nodes: [{ id: 'src', type: 'lora.source', params }],
  edges: [],
});

describe('lora.source', () => {
  it('reads a LoRA by id and types it by family', async () => {
    h = await startHarness();
    const { result } = await h.run(
      one({ modelId: 'model_zimage-turbo-mosaic', modelType: 'zimage-turbo-lora' }),
    );
    expect(result.nodes.src?.outputs?.lora).toEqual({
      provider: 'scenario',
      id: 'model_zimage-turbo-mosaic',
      family: 'zimage-turbo',
      modelType: 'zimage-turbo-lora',
      name: 'Mosaic',
    });
    expect(h.engine.plan(one({ modelId: 'x', modelType: 'flux.1-lora' })).steps[0]?.policy).toBe('pure');
  });

  it('says what the model really is when the declared type is of another family', async () => {
    h = await startHarness();
    const { result } = await h.run(one({ modelId: 'model_flux2-ink-sketch', modelType: 'flux.1-lora' }));
    expect(result.nodes.src?.error).toEqual({
      code: 'lora.type-mismatch',
      message:
        "Model model_flux2-ink-sketch is a flux.2-dev-lora (FLUX.2 [dev]), but this node declares flux.1-lora (FLUX.1); set the node's model type to flux.2-dev-lora.",
    });
  });

  it("passes on the provider's not-found error for an unknown id", async () => {
    h = await startHarness();
    const { result } = await h.run(one({ modelId: 'model_nope', modelType: 'flux.1-lora' }));
    expect(result.nodes.src?.status).toBe('failed');
    expect(result.nodes.src?.error?.message).toContain('model_nope');
  });

  it('picks the newest trained LoRA of a type whose name matches, and lists again every run', async () => {
    h = await startHarness();
    const a = await h.scenario.createModel({ name: 'castle style one', type: 'sd-1_5-lora' });
    await h.scenario.addTrainingImage(a.id, { name: 'a.png', data: pngDataUrl(1) });
    await h.scenario.trainModel(a.id, { parameters: {} });
    h.server.emulator.clock.advance(24 * 3600_000);
    const doc = one({ mode: 'pick', modelType: 'sd-1_5-lora', nameContains: 'CASTLE' });
    expect(h.engine.plan(doc).steps[0]?.policy).toBe('run');
    const { result } = await h.run(doc);
    expect(result.nodes.src?.outputs?.lora).toMatchObject({ id: a.id, family: 'sd-1_5' });
    const none = await h.run(one({ mode: 'pick', modelType: 'sd-1_5-lora', nameContains: 'tower' }));
    expect(none.result.nodes.src?.error).toEqual({
      code: 'lora.not-found',
      message:
        'No trained sd-1_5-lora model whose name contains "tower" was found among the project\'s models.',
    });
  });

  it("picks from Scenario's public models", async () => {
    h = await startHarness();
    const { result } = await h.run(
      one({ mode: 'pick', from: 'public', modelType: 'qwen-image-lora', nameContains: 'blue' }),
    );
    expect(result.nodes.src?.outputs?.lora).toMatchObject({
      id: 'model_qwen-blueprint',
      family: 'qwen-image',
    });
  });

  it('refuses a LoRA that is not trained yet', async () => {
    h = await startHarness();
    const fresh = await h.scenario.createModel({ name: 'fresh', type: 'flux.1-lora' });
    const { result } = await h.run(one({ modelId: fresh.id, modelType: 'flux.1-lora' }));
    expect(result.nodes.src?.error).toEqual({
      code: 'lora.not-trained',
      message: `Model ${fresh.id} is "new", not trained, so it cannot be used as a LoRA yet.`,
    });
  });

  it('validates the params: type required for Scenario, family for ModelsLab, no base types, no ModelsLab pick', async () => {
    h = await startHarness();
    const codes = (params: Record<string, unknown>) =>
      h!.engine.validate(one(params)).issues.map((i) => `${i.code} ${i.path.join('.')}: ${i.message}`);
    expect(codes({ modelId: 'x' })).toEqual([
      'params.invalid nodes.0.params.modelType: Node "src": parameter "modelType": A Scenario LoRA needs its model type (e.g. flux.1-lora).',
    ]);
    expect(codes({ modelId: 'x', modelType: 'flux.1' })).toEqual([
      'lora.not-a-lora nodes.0.params.modelType: Node "src": "flux.1" is a base model type, not a LoRA; pick a LoRA or composition type such as flux.1-lora.',
    ]);
    expect(codes({ modelId: 'x', modelType: 'flux.3-lora' })).toEqual([
      'lora.unknown-type nodes.0.params.modelType: Node "src": Model type "flux.3-lora" is not one loraflow knows, so its base family is unknown and it cannot be checked against other models.',
    ]);
    expect(codes({ provider: 'modelslab', mode: 'pick' }).map((c) => c.split(':')[0])).toEqual([
      'params.invalid nodes.0.params.mode',
      'params.invalid nodes.0.params.family',
    ]);
  });
});
