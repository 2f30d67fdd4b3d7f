import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loraType } from '../types';
import {
  type GenerationLora,
  type GenerationSettings,
  lorasOfConnections,
  planGeneration,
  planImageToImage,
} from './rules';

const square: GenerationSettings = { width: 1024, height: 1024, samples: 1 };
const scenario = (modelType: string, family: string, strength = 1, id?: string): GenerationLora => ({
  provider: 'scenario',
  family,
  modelType,
  strength,
  ...(id ? { id } : {}),
});

describe('the generation rules', () => {
  it('puts the composition first as route A’s model and the other LoRAs behind it as concepts', () => {
    const { plan, problems } = planGeneration(square, [
      scenario('sd-xl-lora', 'sd-xl', 0.4),
      scenario('sd-xl-composition', 'sd-xl'),
      scenario('sd-xl-lora', 'sd-xl', 0.7),
    ]);
    expect(problems).toEqual([]);
    expect(plan).toEqual({
      provider: 'scenario',
      route: 'txt2img',
      family: 'sd-xl',
      model: 1,
      concepts: [0, 2],
    });
  });

  it('moves a FLUX.1 LoRA below full strength to the custom route and checks the custom route’s limits', () => {
    const settings = { ...square, width: 1000 };
    const { plan, problems } = planGeneration(settings, [scenario('flux.1-lora', 'flux.1', 0.6)]);
    expect(plan).toBeUndefined();
    expect(problems).toEqual([
      {
        code: 'generate.size-out-of-range',
        message: 'width 1000 is outside what Scenario custom generation takes: 128..2048, a multiple of 16.',
        path: ['params', 'width'],
      },
    ]);
    expect(planGeneration(square, [scenario('flux.1-lora', 'flux.1', 0.6)]).plan).toEqual({
      provider: 'scenario',
      route: 'custom',
      family: 'flux.1',
      baseModelId: 'model_bfl-flux-1-dev',
    });
  });

  it('refuses two compositions, and an SDXL model LoRA below full strength, naming the LoRA when its id is known', () => {
    const two = planGeneration(square, [
      scenario('sd-xl-composition', 'sd-xl'),
      scenario('sd-xl-composition', 'sd-xl'),
    ]);
    expect(two.problems.map((p) => [p.code, p.path])).toEqual([
      ['generate.one-composition', ['inputs', 'loras']],
    ]);
    const weak = planGeneration(square, [scenario('sd-xl-lora', 'sd-xl', 0.5, 'model_sdxl-charcoal')]);
    expect(weak.problems).toEqual([
      {
        code: 'generate.strength-out-of-range',
        message:
          "On Scenario's txt2img route the first LoRA is the model itself and runs at full strength, so LoRA 1 (model_sdxl-charcoal) must have strength 1 (it has 0.5); connect a LoRA at strength 1 first.",
        path: ['settings', 'strength'],
        connection: { port: 'loras', index: 0 },
      },
    ]);
  });

  it('leaves a strength the settings schema refused to that schema', () => {
    const loras = lorasOfConnections(
      [loraType('modelslab', 'sd-xl'), loraType('modelslab', 'sd-xl')],
      [{ strength: 'strong' }, { strength: 0.05 }],
    );
    expect(loras.map((l) => l.strength)).toEqual([undefined, 0.05]);
    expect(planGeneration(square, loras).problems.map((p) => p.connection)).toEqual([
      { port: 'loras', index: 1 },
    ]);
  });

  it('routes an image-to-image job: edit LoRAs to Scenario route B, ModelsLab LoRAs to img2img, with the size left to the input', () => {
    const unsized = { samples: 1, strength: 0.6 };
    expect(planImageToImage(unsized, [scenario('flux.2-klein-4b-edit-lora', 'flux.2-klein-4b')])).toEqual({
      plan: {
        provider: 'scenario',
        route: 'custom',
        family: 'flux.2-klein-4b',
        baseModelId: 'model_bfl-flux-2-klein-4b-base',
      },
      problems: [],
    });
    const ml = { provider: 'modelslab', family: 'sd-xl', strength: 0.7 };
    expect(planImageToImage(unsized, [ml]).plan).toMatchObject({ provider: 'modelslab', route: 'modelslab' });
    const refused = planImageToImage(unsized, [
      scenario('flux.2-dev-edit-lora', 'flux.2-dev'),
      scenario('flux.2-dev-lora', 'flux.2-dev', 1, 'model_style'),
    ]);
    expect(refused.plan).toBeUndefined();
    expect(refused.problems.map((p) => [p.code, p.message])).toEqual([
      [
        'generate.no-route',
        'Scenario starts from an image with edit LoRAs only (*-edit-lora, trained from before/after pairs), and LoRA 2 (model_style) is not; use edit LoRAs, or ModelsLab LoRAs for img2img.',
      ],
    ]);
    // A LoRA of unknown type passes on a family that has edit LoRAs, and not on one without.
    expect(planImageToImage(unsized, [{ provider: 'scenario', family: 'flux.2-dev' }]).problems).toEqual([]);
    expect(planImageToImage(unsized, [{ provider: 'scenario', family: 'zimage' }]).problems).toHaveLength(1);
  });

  it('decides the same before a run (types and settings) as during it (values with ids), text-to-image and image-to-image alike', () => {
    const provider = fc.constantFrom('scenario', 'modelslab');
    const modelType = fc.constantFrom(
      ['flux.1-lora', 'flux.1'],
      ['flux.1-composition', 'flux.1'],
      ['sd-xl-lora', 'sd-xl'],
      ['sd-xl-composition', 'sd-xl'],
      ['flux.2-dev-lora', 'flux.2-dev'],
      ['zimage-lora', 'zimage'],
      ['flux.1-pro-lora', 'flux.1-pro'],
      ['flux.2-dev-edit-lora', 'flux.2-dev'],
      ['qwen-image-edit-lora', 'qwen-image-edit'],
    );
    const lora = fc.record({
      provider,
      type: modelType,
      strength: fc.constantFrom(0, 0.05, 0.1, 0.5, 0.6, 1, 1.5, 2),
    });
    const settings = fc.record({
      width: fc.integer({ min: 8, max: 256 }).map((n) => n * 8),
      height: fc.integer({ min: 8, max: 256 }).map((n) => n * 8),
      samples: fc.integer({ min: 1, max: 4 }),
      strength: fc.constantFrom(0.3, 1),
    });
    const planners = fc.constantFrom(planGeneration, planImageToImage);
    fc.assert(
      fc.property(settings, fc.array(lora, { minLength: 1, maxLength: 6 }), planners, (s, picked, plan) => {
        const types = picked.map((l) =>
          loraType(l.provider, l.type[1], l.provider === 'scenario' ? l.type[0] : undefined),
        );
        const before = plan(
          s,
          lorasOfConnections(
            types,
            picked.map((l) => ({ strength: l.strength })),
          ),
        );
        const during = plan(
          s,
          picked.map((l, i) => ({ ...types[i]!.params, id: `model_${i}`, strength: l.strength })),
        );
        expect(during.plan).toEqual(before.plan);
        expect(during.problems.map((p) => [p.code, p.path, p.connection])).toEqual(
          before.problems.map((p) => [p.code, p.path, p.connection]),
        );
      }),
    );
  });
});
