import { canConnect, checkPortValue, createTypeRegistry, type PortType } from '@loraflow/core';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { COMPOSABLE_FAMILIES } from './families';
import type { generateMultiLora } from './nodes/generate';
import type { loraTrain } from './nodes/train';
import {
  imagesType,
  loraInputType,
  loraType,
  loraTypes,
  textType,
  trainingSetType,
  trainingType,
} from './types';
import type { LoraValue, TrainingSetValue } from './values';

const types = createTypeRegistry(loraTypes);
const reason = (from: PortType, to: PortType): string => {
  const r = canConnect(from, to, types);
  return r.ok ? 'ok' : `${r.code}: ${r.reason}`;
};
const composition = loraInputType({
  provider: 'scenario',
  families: COMPOSABLE_FAMILIES,
  role: 'composition',
});

describe('LoRA port types', () => {
  it('lets a FLUX.1 LoRA into a composition', () => {
    expect(reason(loraType('scenario', 'flux.1'), composition)).toBe('ok');
    expect(reason(loraType('scenario', 'sd-1_5', 'sd-1_5-lora'), composition)).toBe('ok');
  });

  it('refuses a FLUX.2 LoRA in a composition with a sentence naming both types', () => {
    expect(reason(loraType('scenario', 'flux.2-dev'), composition)).toBe(
      'type.incompatible: A Scenario FLUX.2 [dev] LoRA output cannot connect to a Scenario LoRA (FLUX.1, SDXL or SD 1.5) input: Scenario composes only FLUX.1, SDXL and SD 1.5 LoRAs, all of one family.',
    );
  });

  it('refuses a Scenario model on a ModelsLab input', () => {
    expect(reason(loraType('scenario', 'sd-xl'), loraInputType({ provider: 'modelslab' }))).toBe(
      'type.incompatible: A Scenario SDXL LoRA output cannot connect to a ModelsLab LoRA input: a model on Scenario cannot be used by ModelsLab.',
    );
    expect(reason(loraType('modelslab', 'sd-xl'), loraInputType({ provider: 'scenario' }))).toBe(
      'type.incompatible: A ModelsLab SDXL LoRA output cannot connect to a Scenario LoRA input: a model on ModelsLab cannot be used by Scenario.',
    );
  });

  it('refuses a LoRA of another family on a family-typed input', () => {
    expect(reason(loraType('scenario', 'sd-xl'), loraType('scenario', 'flux.1'))).toBe(
      'type.incompatible: A Scenario SDXL LoRA output cannot connect to a Scenario FLUX.1 LoRA input: a LoRA trained on SDXL only works with SDXL models, not FLUX.1.',
    );
  });

  it('accepts Z-Image, Z-Image Turbo and De-Turbo LoRAs for one another', () => {
    const zimage = loraInputType({ provider: 'scenario', families: ['zimage-turbo'] });
    expect(reason(loraType('scenario', 'zimage-de-turbo'), zimage)).toBe('ok');
    expect(reason(loraType('scenario', 'zimage'), zimage)).toBe('ok');
  });

  it('refuses a LoRA of unknown family where a family is required, naming its model type', () => {
    expect(reason(loraType('scenario', 'unknown', 'flux.3-lora'), loraType('scenario', 'flux.1'))).toBe(
      'type.incompatible: A Scenario LoRA of unknown family output cannot connect to a Scenario FLUX.1 LoRA input: its base family is unknown (model type "flux.3-lora"), so it cannot be checked against FLUX.1.',
    );
  });

  it('explains which families ModelsLab serves', () => {
    const ml = loraInputType({
      provider: 'modelslab',
      families: ['sd-1_5', 'sd-xl', 'flux.1'],
      role: 'modelslab',
    });
    expect(reason(loraType('modelslab', 'qwen-image'), ml)).toBe(
      'type.incompatible: A ModelsLab Qwen-Image LoRA output cannot connect to a ModelsLab LoRA (SD 1.5, SDXL or FLUX.1) input: ModelsLab serves LoRAs for FLUX.1, SDXL and SD 1.5 only.',
    );
  });

  it('takes any family and provider on an unconstrained LoRA input', () => {
    expect(reason(loraType('modelslab', 'sd-1_5'), loraInputType())).toBe('ok');
    expect(reason(loraType('scenario', 'unknown'), loraInputType())).toBe('ok');
  });

  it('does not let a text output feed a LoRA input', () => {
    expect(reason(textType(), loraInputType())).toBe(
      'type.incompatible: A text output cannot connect to a LoRA input: text and LoRA are different kinds of value.',
    );
  });
});

describe('training port types', () => {
  it('refuses an image set for an edit training type, and pairs for a plain one', () => {
    expect(reason(trainingSetType(false), trainingSetType(true))).toBe(
      'type.incompatible: A training set of images output cannot connect to a training set of before/after pairs input: edit training types (*-edit-lora) learn from before/after pairs with an instruction each.',
    );
    expect(reason(trainingSetType(true), trainingSetType(false))).toBe(
      'type.incompatible: A training set of before/after pairs output cannot connect to a training set of images input: this training type learns from single images, not before/after pairs.',
    );
    expect(reason(trainingSetType(true), trainingSetType())).toBe('ok');
  });

  it('waits on a training of either provider', () => {
    expect(reason(trainingType('scenario', 'zimage', 'zimage-lora'), trainingType(undefined))).toBe('ok');
  });

  it("takes core's built-in strings as text", () => {
    expect(reason({ kind: 'string' }, textType())).toBe('ok');
    expect(reason({ kind: 'number' }, textType())).toBe(
      'type.incompatible: A Number output cannot connect to a text input: number and text are different kinds of value.',
    );
  });

  it('connects images to images', () => {
    expect(reason(imagesType(), imagesType())).toBe('ok');
  });
});

describe('typed ports', () => {
  it('types ctx.inputs and each connection’s settings from the declared ports, with no cast', () => {
    type Ctx = Parameters<(typeof generateMultiLora)['run']>[0];
    expectTypeOf<Ctx['inputs']['loras'][number]['value']>().toEqualTypeOf<LoraValue>();
    expectTypeOf<Ctx['inputs']['loras'][number]['settings']>().toEqualTypeOf<{ strength: number }>();
    expectTypeOf<Ctx['inputs']['prompt']>().toEqualTypeOf<string | undefined>();
    type Train = Parameters<(typeof loraTrain)['run']>[0];
    expectTypeOf<Train['inputs']['set']>().toEqualTypeOf<TrainingSetValue>();
  });

  it('gives every kind of the pack the schema of the values on its wires', () => {
    const lora = { provider: 'scenario', id: 'model_a', family: 'flux.1' };
    expect(checkPortValue(loraType('scenario', 'flux.1'), lora, types)).toBe(true);
    expect(checkPortValue(loraType('scenario', 'flux.1'), { ...lora, provider: 'elsewhere' }, types)).toMatch(
      /at provider/,
    );
    expect(checkPortValue(imagesType(), [{ blob: { $blob: 'ab', mime: 'image/png', size: 1 } }], types)).toBe(
      true,
    );
    expect(checkPortValue(imagesType(), [{ blob: 'no' }], types)).toMatch(/at 0\.blob/);
    expect(checkPortValue(trainingSetType(false), { pairs: false, images: [], pairList: [] }, types)).toBe(
      true,
    );
    expect(checkPortValue(trainingType('scenario'), { provider: 'scenario' }, types)).not.toBe(true);
    expect(checkPortValue(textType(), 7, types)).not.toBe(true);
    for (const kind of loraTypes) expect(kind.value, kind.kind).toBeDefined();
  });
});
