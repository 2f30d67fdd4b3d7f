import { z } from 'zod/mini';
import { defineSpec } from '../spec';
import { trainingSetType, trainingType } from '../types';

/**
 * ModelsLab's v3 trainer takes these base families (`base_model_type` normal / sdxl).
 *
 * @example
 * MODELSLAB_TRAINING_FAMILIES.includes('sd-xl'); // true
 */
export const MODELSLAB_TRAINING_FAMILIES = ['sd-1_5', 'sd-xl'] as const;

const params = z.object({
  family: z
    ._default(z.enum(MODELSLAB_TRAINING_FAMILIES), 'sd-xl')
    .check(z.describe('Base family: SD 1.5 (`normal`) or SDXL.')),
  instancePrompt: z
    .string()
    .check(
      z.trim(),
      z.minLength(1),
      z.maxLength(500),
      z.describe('The prompt with the identifier to learn, e.g. "photo of lnt0 lantern".'),
    ),
  classPrompt: z
    .string()
    .check(
      z.trim(),
      z.minLength(1),
      z.maxLength(500),
      z.describe('The class it belongs to, e.g. "photo of a lantern".'),
    ),
  subject: z
    ._default(z.enum(['men', 'women', 'couple', 'null']), 'null')
    .check(
      z.describe('ModelsLab `training_type`: people (men, women, couple) or objects and styles (null).'),
    ),
  loraType: z._default(z.enum(['lora', 'lycoris']), 'lora').check(z.describe('Adapter kind.')),
  maxTrainSteps: z
    .optional(z.number().check(z.int(), z.gte(10), z.lte(50)))
    .check(z.describe('Training steps (10..50; default about twice the image count).')),
  seed: z
    .optional(z.number().check(z.int(), z.gte(0), z.lte(2_147_483_647)))
    .check(z.describe('Seed for reproducible training.')),
});

/**
 * What `lora.trainModelsLab` declares, without its run (a `NodeSpec`).
 *
 * @example
 * defineNode({ ...loraTrainModelsLabSpec, run });
 */
export const loraTrainModelsLabSpec = defineSpec({
  type: 'lora.trainModelsLab',
  version: 1,
  title: 'Train LoRA on ModelsLab',
  category: 'Training',
  description:
    'Trains an SD 1.5 or SDXL LoRA on ModelsLab from a training set of images; cancelling the run cancels the training.',
  params,
  inputs: { set: { type: trainingSetType(false), label: 'Training set' } },
  outputs: {
    training: {
      type: ({ params: p }) => trainingType('modelslab', p.family, `${p.family}-lora`),
      label: 'Training',
      description: 'ModelsLab training of `family`',
    },
  },
  cache: 'pure',
  sideEffects: true,
  resources: ['provider:modelslab'],
  // the trained LoRA belongs to the ModelsLab account that trained it
  scope: ['modelslab'],
  // ModelsLab has no dry run: the training costs something, but what is not known before it runs
  // ("unknown" in the estimate, never counted as free)
});
