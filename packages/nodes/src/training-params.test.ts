import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TRAINING_TYPES } from './families';
import { checkTrainingParameters } from './training-params';

describe('training parameters per trainer', () => {
  it('accepts the documented defaults of each trainer', () => {
    expect(
      checkTrainingParameters('flux.1-lora', {
        learningRate: 1e-4,
        rank: 16,
        nbEpochs: 10,
        optimizeFor: 'likeness',
      }),
    ).toEqual([]);
    expect(
      checkTrainingParameters('sd-xl-lora', {
        learningRateUnet: 5e-6,
        lrScheduler: 'constant',
        numUNetTrainSteps: 1750,
      }),
    ).toEqual([]);
    expect(
      checkTrainingParameters('zimage-turbo-lora', {
        learningRate: 5e-5,
        rank: 64,
        batchSize: 1,
        nbEpochs: 10,
        nbRepeats: 20,
      }),
    ).toEqual([]);
  });

  it('uses the range of the trainer the type belongs to', () => {
    expect(checkTrainingParameters('flux.1-lora', { rank: 128 })).toEqual([
      { path: ['rank'], message: 'Too big: expected number to be <=64' },
    ]);
    expect(checkTrainingParameters('flux.2-dev-lora', { rank: 128 })).toEqual([]);
    expect(checkTrainingParameters('qwen-image-lora', { samplePrompts: ['a', 'b', 'c', 'd', 'e'] })).toEqual([
      { path: ['samplePrompts'], message: 'Too big: expected array to have <=4 items' },
    ]);
  });

  it('names a parameter that does not apply to the type', () => {
    expect(checkTrainingParameters('zimage-lora', { lrScheduler: 'cosine' })).toEqual([
      { path: ['lrScheduler'], message: '"lrScheduler" is not a training parameter of zimage-lora' },
    ]);
  });

  it('refuses wandbKey because a credential never lives in a graph', () => {
    expect(checkTrainingParameters('flux.1-lora', { wandbKey: 'abc' })).toEqual([
      {
        path: ['wandbKey'],
        message:
          'wandbKey is a credential and cannot be stored in a graph; configure Weights & Biases outside loraflow',
      },
    ]);
  });

  it('checks the cross-field rules', () => {
    expect(
      checkTrainingParameters('flux.2-dev-edit-lora', { samplePrompts: ['relight'], sampleSourceImages: [] }),
    ).toEqual([
      {
        path: ['sampleSourceImages'],
        message: 'sampleSourceImages must have as many entries as samplePrompts (0 vs 1)',
      },
    ]);
    expect(
      checkTrainingParameters('flux.2-dev-lora', { samplePrompts: ['x'], sampleSourceImages: ['asset_a'] }),
    ).toEqual([
      {
        path: ['sampleSourceImages'],
        message: 'sampleSourceImages only apply to edit training types, not flux.2-dev-lora',
      },
    ]);
    expect(checkTrainingParameters('sd-1_5-lora', { maxTrainSteps: 100, validationFrequency: 200 })).toEqual([
      {
        path: ['validationFrequency'],
        message: 'validationFrequency (200) cannot be greater than maxTrainSteps (100)',
      },
    ]);
  });

  it('never throws on arbitrary parameter objects, for any training type', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...TRAINING_TYPES),
        fc.dictionary(fc.string(), fc.jsonValue()),
        (type, parameters) => {
          const problems = checkTrainingParameters(type, parameters);
          for (const p of problems) expect(typeof p.message).toBe('string');
        },
      ),
    );
  });
});
