import { z } from 'zod';
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
    .enum(MODELSLAB_TRAINING_FAMILIES)
    .default('sd-xl')
    .describe('Base family: SD 1.5 (`normal`) or SDXL.'),
  instancePrompt: z
    .string()
    .trim()
    .min(1)
    .max(500)
    .describe('The prompt with the identifier to learn, e.g. "photo of lnt0 lantern".'),
  classPrompt: z
    .string()
    .trim()
    .min(1)
    .max(500)
    .describe('The class it belongs to, e.g. "photo of a lantern".'),
  subject: z
    .enum(['men', 'women', 'couple', 'null'])
    .default('null')
    .describe('ModelsLab `training_type`: people (men, women, couple) or objects and styles (null).'),
  loraType: z.enum(['lora', 'lycoris']).default('lora').describe('Adapter kind.'),
  maxTrainSteps: z
    .number()
    .int()
    .min(10)
    .max(50)
    .optional()
    .describe('Training steps (10..50; default about twice the image count).'),
  seed: z.number().int().min(0).max(2_147_483_647).optional().describe('Seed for reproducible training.'),
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
