import { afterEach, describe, expect, it } from 'vitest';
import { generateMultiLora } from './nodes/generate';
import { loraTrain } from './nodes/train';
import { loraTrainModelsLab } from './nodes/train-modelslab';
import { type Harness, pngDataUrl, startHarness } from './test/harness';
import { loraType } from './types';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const servicesOf = (x: Harness) => ({
  has: (name: string) => name === 'scenario',
  get: <T>(_name: string) => x.scenario as T,
});

describe('dry-run cost estimates', () => {
  it('prices a FLUX.2 generation with the custom route dry run, creating nothing', async () => {
    h = await startHarness();
    const lora = {
      provider: 'scenario',
      id: 'model_flux2-ink-sketch',
      family: 'flux.2-dev',
      modelType: 'flux.2-dev-lora',
    };
    const estimate = await generateMultiLora.estimate?.({
      params: { prompt: 'a fox', width: 1024, height: 1024, samples: 1, seed: 1 },
      inputs: { loras: [{ value: lora, settings: { strength: 0.5 } }] },
      services: servicesOf(h),
    } as never);
    expect(estimate).toEqual({ amount: 17.75, unit: 'creative-units', detail: expect.any(Object) });
    expect(h.count('scenario.generate.custom.dryRun')).toBe(1);
    expect(h.count('scenario.generate.custom')).toBe(0);
  });

  it('prices a generation whose LoRA trains in this same run from the connection’s type (family → base model)', async () => {
    h = await startHarness();
    const harness = h;
    // a generation whose only LoRA is known by its connection's type (it is trained in this run)
    const priceWith = (type: ReturnType<typeof loraType>) =>
      generateMultiLora.estimate?.({
        params: { prompt: 'a fox', width: 1024, height: 1024, samples: 1, seed: 1 },
        inputs: {},
        inputTypes: { loras: [type] },
        inputSettings: { loras: [{ strength: 1 }] },
        services: servicesOf(harness),
      } as never);
    const flux2 = await priceWith(loraType('scenario', 'flux.2-dev', 'flux.2-dev-lora'));
    // the same price as with a trained LoRA: Scenario prices by base model, not by LoRA
    expect(flux2).toEqual({ amount: 17.75, unit: 'creative-units', detail: expect.any(Object) });
    const flux1 = await priceWith(loraType('scenario', 'flux.1', 'flux.1-lora'));
    expect(flux1?.unit).toBe('creative-units');
    const dry = h.server.emulator.log.entries({ route: 'scenario.generate.custom.dryRun' });
    expect(dry.map((e) => e.path.split('?')[0]!.split('/').pop())).toEqual([
      'model_bfl-flux-2-dev',
      'model_bfl-flux-1-dev',
    ]);
    expect(h.count('scenario.generate.custom')).toBe(0);
    // a ModelsLab LoRA has no dry run: unknown, not free
    const modelslab = await priceWith(loraType('modelslab', 'sd-xl'));
    expect(modelslab).toBeUndefined();
  });

  it('prices a training by type and image count with a dry run on an existing model of the type', async () => {
    h = await startHarness();
    const existing = await h.scenario.createModel({ name: 'earlier', type: 'flux.1-lora' });
    const set = {
      pairs: false,
      images: [1, 2, 3].map((i) => ({ name: `${i}.png`, assetId: `asset_${i}` })),
      pairList: [],
    };
    const estimate = await loraTrain.estimate?.({
      params: { modelType: 'flux.1-lora', name: 'x', parameters: {} },
      inputs: { set },
      services: servicesOf(h),
    } as never);
    expect(estimate?.unit).toBe('creative-units');
    expect(estimate?.amount).toBeGreaterThan(0);
    const dry = h.server.emulator.log.entries({ route: 'scenario.models.train.dryRun' });
    expect(dry.map((e) => e.modelId)).toEqual([existing.id]);
    expect(h.count('scenario.models.create')).toBe(1);
    expect(pngDataUrl(1)).toMatch(/^data:image\/png;base64,/);
  });

  it('answers "unknown" without a Scenario client or without a model to ask', async () => {
    h = await startHarness();
    const args = { params: { modelType: 'zimage-lora', name: 'x', parameters: {} }, inputs: {} };
    expect(await loraTrain.estimate?.(args as never)).toBeUndefined();
    expect(await loraTrain.estimate?.({ ...args, services: servicesOf(h) } as never)).toBeUndefined();
    // ModelsLab has no dry run: its training has a hook, so the runtime counts it as unknown, not free
    expect(loraTrainModelsLab.estimate).toBeTypeOf('function');
    expect(
      await loraTrainModelsLab.estimate?.({ params: {}, inputs: {}, inputTypes: {} } as never),
    ).toBeUndefined();
  });
});
