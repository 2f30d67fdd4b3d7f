import { describe, expect, it } from 'vitest';
import {
  COMPOSABLE_FAMILIES,
  compositionTypeFor,
  FAMILIES,
  familiesCompatible,
  familyOfModelType,
  isEditType,
  listOr,
  modelTypeInfo,
  SCENARIO_MODEL_TYPES,
  TRAINING_TYPES,
} from './families';

describe('model type to family', () => {
  it.each([
    ['flux.1-lora', 'flux.1'],
    ['flux.1-composition', 'flux.1'],
    ['flux.1-kontext-lora', 'flux.1-kontext'],
    ['flux.1-krea-lora', 'flux.1-krea'],
    ['flux.2-dev-lora', 'flux.2-dev'],
    ['flux.2-dev-edit-lora', 'flux.2-dev'],
    ['flux.2-klein-4b-lora', 'flux.2-klein-4b'],
    ['flux.2-klein-9b-edit-lora', 'flux.2-klein-9b'],
    ['flux.2-klein-base-4b-lora', 'flux.2-klein-base-4b'],
    ['flux.2-klein-base-9b-edit-lora', 'flux.2-klein-base-9b'],
    ['sd-xl-lora', 'sd-xl'],
    ['sd-xl-composition', 'sd-xl'],
    ['sd-1_5-lora', 'sd-1_5'],
    ['sd-1_5-composition', 'sd-1_5'],
    ['qwen-image-lora', 'qwen-image'],
    ['qwen-image-2512-lora', 'qwen-image-2512'],
    ['qwen-image-edit-lora', 'qwen-image-edit'],
    ['qwen-image-edit-2509-lora', 'qwen-image-edit-2509'],
    ['qwen-image-edit-2511-lora', 'qwen-image-edit-2511'],
    ['zimage-lora', 'zimage'],
    ['zimage-turbo-lora', 'zimage-turbo'],
    ['zimage-de-turbo-lora', 'zimage-de-turbo'],
  ])('maps %s to the %s family', (type, family) => {
    expect(familyOfModelType(type)).toBe(family);
    expect(FAMILIES[family]).toBeDefined();
  });

  it('maps every type of the 2025-11 spec and the newer SDK docs to a known family or says why not', () => {
    for (const type of SCENARIO_MODEL_TYPES) {
      const info = modelTypeInfo(type);
      expect(info.unknown).toBeUndefined();
      expect(FAMILIES[info.family]).toBeDefined();
    }
    expect(SCENARIO_MODEL_TYPES.length).toBeGreaterThanOrEqual(36);
  });

  it('treats a type it does not know as an open string of the unknown family, with a sentence', () => {
    const info = modelTypeInfo('flux.3-lora');
    expect(info.family).toBe('unknown');
    expect(info.kind).toBe('lora');
    expect(info.unknown).toBe(
      'Model type "flux.3-lora" is not one loraflow knows, so its base family is unknown and it cannot be checked against other models.',
    );
  });

  it('knows the edit training types learn from pairs and the others do not', () => {
    expect(isEditType('qwen-image-edit-2511-lora')).toBe(true);
    expect(isEditType('flux.2-klein-base-4b-edit-lora')).toBe(true);
    expect(isEditType('qwen-image-lora')).toBe(false);
    expect(isEditType('flux.1-composition')).toBe(false);
  });

  it('lists every training type of the seeds and no composition or base type', () => {
    expect(TRAINING_TYPES).toHaveLength(23);
    expect(TRAINING_TYPES).toContain('flux.1-lora');
    expect(TRAINING_TYPES).toContain('sd-1_5-lora');
    expect(TRAINING_TYPES).toContain('zimage-de-turbo-lora');
    expect(TRAINING_TYPES).not.toContain('flux.1-composition');
    expect(TRAINING_TYPES).not.toContain('flux.1');
  });
});

describe('family compatibility', () => {
  it('makes the Z-Image LoRAs mutually compatible', () => {
    for (const a of ['zimage', 'zimage-turbo', 'zimage-de-turbo']) {
      for (const b of ['zimage', 'zimage-turbo', 'zimage-de-turbo'])
        expect(familiesCompatible(a, b)).toBe(true);
    }
  });

  it('lets a FLUX.2 [klein] size share LoRAs with its base variant, and Qwen-Image with its 2512 update', () => {
    expect(familiesCompatible('flux.2-klein-4b', 'flux.2-klein-base-4b')).toBe(true);
    expect(familiesCompatible('flux.2-klein-base-9b', 'flux.2-klein-9b')).toBe(true);
    expect(familiesCompatible('qwen-image-2512', 'qwen-image')).toBe(true);
  });

  it('keeps distinct checkpoints apart', () => {
    expect(familiesCompatible('flux.2-dev', 'flux.1')).toBe(false);
    expect(familiesCompatible('flux.2-klein-4b', 'flux.2-klein-9b')).toBe(false);
    expect(familiesCompatible('flux.2-klein-base-4b', 'flux.2-klein-base-9b')).toBe(false);
    expect(familiesCompatible('qwen-image-2512', 'qwen-image-edit-2511')).toBe(false);
    expect(familiesCompatible('qwen-image', 'qwen-image-edit')).toBe(false);
    expect(familiesCompatible('sd-xl', 'sd-1_5')).toBe(false);
  });

  it('promises nothing for the unknown family, not even with itself', () => {
    expect(familiesCompatible('unknown', 'unknown')).toBe(false);
    expect(familiesCompatible('unknown', 'flux.1')).toBe(false);
  });
});

describe('composition', () => {
  it('composes only FLUX.1, SDXL and SD 1.5, each into its own composition type', () => {
    expect(COMPOSABLE_FAMILIES).toEqual(['flux.1', 'sd-xl', 'sd-1_5']);
    expect(compositionTypeFor('flux.1')).toBe('flux.1-composition');
    expect(compositionTypeFor('sd-xl')).toBe('sd-xl-composition');
    expect(compositionTypeFor('sd-1_5')).toBe('sd-1_5-composition');
    expect(compositionTypeFor('flux.2-dev')).toBeUndefined();
    expect(compositionTypeFor('zimage')).toBeUndefined();
  });

  it('writes lists as a person would', () => {
    expect(listOr([])).toBe('');
    expect(listOr(['A'])).toBe('A');
    expect(listOr(['A', 'B'])).toBe('A or B');
    expect(listOr(['A', 'B', 'C'])).toBe('A, B or C');
  });
});
