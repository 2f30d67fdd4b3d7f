import { z } from 'zod';
import type { BaseModelSpec } from '../catalogue';
import { parse } from './http';

/** A composition concept or an extra LoRA of txt2img. */
export const conceptSchema = z.object({
  modelId: z.string().min(1),
  scale: z.number().min(-2).max(2),
  modelEpoch: z.string().optional(),
});

export const createModelSchema = z
  .object({
    name: z.string().max(64).optional(),
    shortDescription: z.string().max(256).optional(),
    type: z.string().min(1).optional(),
    concepts: z.array(conceptSchema).max(6).optional(),
    baseModelId: z.string().optional(),
    classSlug: z.string().optional(),
    collectionIds: z.array(z.string()).optional(),
    tags: z.array(z.string().max(64)).max(50).optional(),
  })
  .loose();

const IMAGE_DATA_URL = /^data:image\/(?:png|jpeg|jpg|webp);base64,[A-Za-z0-9+/=\s]+$/;

const preset = z.enum(['default', 'style', 'subject']).optional();
const batchImagesSchema = z.object({ assetIds: z.array(z.string().min(1)).min(1).max(10), preset }).strict();
// With `assetId`, `name` and `data` are ignored, as the vendor documents.
const assetImageSchema = z.object({ assetId: z.string().min(1), preset }).loose();
const dataImageSchema = z
  .object({
    name: z.string().min(1).max(256),
    data: z.string().regex(IMAGE_DATA_URL, 'must be a base64 data URL of a PNG, JPEG or WebP image'),
    preset,
  })
  .strict();

/** The three documented bodies of `POST /models/{id}/training-images`. */
export type TrainingImageInput =
  | { form: 'batch'; assetIds: string[] }
  | { form: 'asset'; assetId: string }
  | { form: 'data'; name: string; data: string };

export function parseTrainingImage(value: unknown): TrainingImageInput {
  const record = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  if ('assetIds' in record) return { form: 'batch', assetIds: parse(batchImagesSchema, value).assetIds };
  if ('assetId' in record) return { form: 'asset', assetId: parse(assetImageSchema, value).assetId };
  const input = parse(dataImageSchema, value);
  return { form: 'data', name: input.name, data: input.data };
}

/** `POST /assets`: an image as base64 (a data URL or bare), with its file name. */
export const uploadAssetSchema = z
  .object({
    name: z.string().min(1).max(256),
    image: z.string().min(1).optional(),
    canvas: z.string().optional(),
    thumbnail: z.string().optional(),
    hide: z.boolean().optional(),
    collectionIds: z.array(z.string()).optional(),
    parentId: z.string().optional(),
  })
  .loose();

export const pairsSchema = z
  .array(
    z.object({
      sourceId: z.string().min(1),
      targetId: z.string().min(1),
      instruction: z.string().optional(),
    }),
  )
  .max(500);

// Loose training parameters: the newer trainers' ranges are the wider ones (PROVIDERS.md §1.5).
export const trainSchema = z
  .object({
    parameters: z
      .object({
        learningRate: z.number().gt(0).max(0.01).optional(),
        learningRateTextEncoder: z.number().min(0).max(0.001).optional(),
        rank: z.number().int().min(2).max(128).optional(),
        nbEpochs: z.number().int().min(1).max(100).optional(),
        nbRepeats: z.number().int().min(1).max(100).optional(),
        batchSize: z.number().int().min(1).max(8).optional(),
        maxTrainSteps: z.number().int().min(0).max(40000).optional(),
        samplePrompts: z.array(z.string()).max(4).optional(),
        sampleSourceImages: z.array(z.string()).max(4).optional(),
        optimizeFor: z.enum(['likeness', 'all', 'none']).optional(),
        conceptPrompt: z.string().optional(),
        seed: z.number().int().optional(),
        wandbKey: z.string().max(40).optional(),
      })
      .loose()
      .optional(),
  })
  .loose();

export const actionSchema = z.object({ action: z.literal('cancel') });

export const txt2imgSchema = z
  .object({
    modelId: z.string().min(1),
    prompt: z.string().min(1).max(2048),
    negativePrompt: z.string().optional(),
    negativePromptStrength: z.number().min(0).max(10).optional(),
    numSamples: z.number().int().min(1).max(128).optional(),
    width: z.number().int().min(64).max(2048).multipleOf(8).optional(),
    height: z.number().int().min(64).max(2048).multipleOf(8).optional(),
    guidance: z.number().min(0).max(20).optional(),
    numInferenceSteps: z.number().int().min(1).max(150).optional(),
    seed: z.union([z.string().regex(/^\d+$/), z.number().int().min(0)]).optional(),
    scheduler: z.string().optional(),
    concepts: z.array(conceptSchema).max(6).optional(),
    baseModelId: z.string().optional(),
    modelEpoch: z.string().optional(),
    hideResults: z.boolean().optional(),
    intermediateImages: z.boolean().optional(),
    type: z.literal('txt2img').optional(),
  })
  .loose();

/** The body of `POST /generate/custom/{id}`, with the base model's own limits. */
export function customSchema(base: BaseModelSpec) {
  const [minSize, maxSize] = base.limits.size;
  return z
    .object({
      prompt: z.string().min(1).max(2048),
      modelId: z.string().min(1).optional(),
      loras: z.array(z.string().min(1)).max(6).optional(),
      lorasScale: z.array(z.number().min(0).max(2)).max(6).optional(),
      referenceImages: z.array(z.string().min(1)).max(5).optional(),
      // FLUX.1 img2img: an asset id or a data URL, and how much of it the generation replaces.
      image: z.string().min(1).optional(),
      strength: z.number().min(0.01).max(1).optional(),
      numOutputs: z.number().int().min(base.limits.outputs[0]).max(base.limits.outputs[1]).optional(),
      numInferenceSteps: z.number().int().min(base.limits.steps[0]).max(base.limits.steps[1]).optional(),
      width: z.number().int().min(minSize).max(maxSize).multipleOf(base.limits.sizeMultiple).optional(),
      height: z.number().int().min(minSize).max(maxSize).multipleOf(base.limits.sizeMultiple).optional(),
      guidance: z.number().min(base.limits.guidance[0]).max(base.limits.guidance[1]).optional(),
      seed: z.number().int().min(0).max(2147483647).optional(),
    })
    .loose();
}
