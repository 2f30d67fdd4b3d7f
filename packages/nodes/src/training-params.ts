import { parseSchema } from '@loraflow/core';
import { z } from 'zod/mini';
import { modelTypeInfo } from './families';

const lr = (min: number, max: number) => z.number().check(z.gte(min), z.lte(max));
const int = (min: number, max: number) => z.number().check(z.int(), z.gte(min), z.lte(max));
const prompts = (max: number) =>
  z.array(z.string().check(z.minLength(1), z.maxLength(1000))).check(z.maxLength(max));

// Flux LoRA trainer (flux.1, Kontext, Krea): ranges of the train reference (seed 004).
const fluxParams = z.partial(
  z.strictObject({
    learningRate: lr(1e-6, 1e-2),
    learningRateTextEncoder: lr(1e-6, 1e-3),
    rank: int(2, 64),
    nbEpochs: int(1, 30),
    nbRepeats: int(1, 30),
    batchSize: int(1, 4),
    maxTrainSteps: int(0, 10_000),
    samplePrompts: prompts(10),
    sampleSourceImages: z.array(z.string().check(z.minLength(1))).check(z.maxLength(10)),
    optimizeFor: z.enum(['likeness', 'all', 'none']),
    conceptPrompt: z.string().check(z.maxLength(1000)),
    seed: int(0, 2_147_483_647),
  }),
);

// SD 1.5 / SDXL LoRA trainer.
const sdParams = z.partial(
  z.strictObject({
    learningRate: lr(0, 1e-2),
    learningRateUnet: lr(0, 1e-2),
    learningRateTextEncoder: lr(0, 1e-3),
    lrScheduler: z.enum([
      'constant',
      'constant-with-warmup',
      'cosine',
      'cosine-with-restarts',
      'linear',
      'polynomial',
    ]),
    maxTrainSteps: int(0, 40_000),
    numTextTrainSteps: int(0, 40_000),
    numUNetTrainSteps: int(0, 40_000),
    priorLossWeight: z.number().check(z.gte(0), z.lte(10)),
    randomCrop: z.boolean(),
    randomCropRatio: z.number().check(z.gte(0), z.lte(1)),
    randomCropScale: z.number().check(z.gte(0), z.lte(10)),
    conceptPrompt: z.string().check(z.maxLength(1000)),
    classPrompt: z.string().check(z.maxLength(1000)),
    validationPrompt: z.string().check(z.maxLength(1000)),
    validationFrequency: int(0, 40_000),
    textEncoderTrainingRatio: z.number().check(z.gte(0), z.lte(1)),
    rank: int(2, 128),
    seed: int(0, 2_147_483_647),
  }),
);

// Musubi trainer (FLUX.2, Qwen-Image, Z-Image): ranges of the training guide (seed 002).
const musubiParams = z.partial(
  z.strictObject({
    learningRate: lr(1e-5, 1e-3),
    rank: int(2, 128),
    batchSize: int(1, 8),
    nbEpochs: int(1, 100),
    nbRepeats: int(1, 100),
    samplePrompts: prompts(4),
    sampleSourceImages: z.array(z.string().check(z.minLength(1))).check(z.maxLength(4)),
    seed: int(0, 2_147_483_647),
  }),
);

/**
 * One problem with training parameters, with its path inside `parameters`.
 *
 * @example
 * const p: ParameterProblem = { path: ['rank'], message: 'Too big: expected number to be <=64' };
 */
export interface ParameterProblem {
  path: (string | number)[];
  message: string;
}

/**
 * Checks training parameters against the trainer of a model type: the ranges of that trainer,
 * no parameter that does not apply to it, and the cross-field rules (sample source images only
 * for edit types, as many as sample prompts; validation frequency within the steps). `wandbKey`
 * is refused on purpose: it is a credential and credentials never live in a graph.
 *
 * @example
 * checkTrainingParameters('zimage-lora', { rank: 256 });
 * // [{ path: ['rank'], message: 'Too big: expected number to be <=128' }]
 */
export function checkTrainingParameters(
  modelType: string,
  parameters: Record<string, unknown>,
): ParameterProblem[] {
  const info = modelTypeInfo(modelType);
  const problems: ParameterProblem[] = [];
  if ('wandbKey' in parameters) {
    problems.push({
      path: ['wandbKey'],
      message:
        'wandbKey is a credential and cannot be stored in a graph; configure Weights & Biases outside loraflow',
    });
  }
  const schema = info.trainer === 'flux' ? fluxParams : info.trainer === 'sd' ? sdParams : musubiParams;
  const rest = Object.fromEntries(Object.entries(parameters).filter(([k]) => k !== 'wandbKey'));
  const parsed = parseSchema(schema, rest);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) {
          problems.push({ path: [key], message: `"${key}" is not a training parameter of ${modelType}` });
        }
      } else {
        problems.push({
          path: issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p)),
          message: issue.message,
        });
      }
    }
    return problems;
  }
  const p = parsed.data as Record<string, unknown>;
  const sources = p.sampleSourceImages as string[] | undefined;
  if (sources !== undefined) {
    const samples = (p.samplePrompts as string[] | undefined) ?? [];
    if (info.kind !== 'edit-lora' && modelType !== 'flux.1-kontext-lora') {
      problems.push({
        path: ['sampleSourceImages'],
        message: `sampleSourceImages only apply to edit training types, not ${modelType}`,
      });
    } else if (sources.length !== samples.length) {
      problems.push({
        path: ['sampleSourceImages'],
        message: `sampleSourceImages must have as many entries as samplePrompts (${sources.length} vs ${samples.length})`,
      });
    }
  }
  const frequency = p.validationFrequency as number | undefined;
  const steps = p.maxTrainSteps as number | undefined;
  if (frequency !== undefined && steps !== undefined && frequency > steps) {
    problems.push({
      path: ['validationFrequency'],
      message: `validationFrequency (${frequency}) cannot be greater than maxTrainSteps (${steps})`,
    });
  }
  return problems;
}
