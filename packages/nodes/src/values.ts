import { z } from 'zod/mini';
import { PROVIDERS } from './families';

const blobRef = z.object({ $blob: z.string(), mime: z.string(), size: z.number() });

/**
 * The value on a `lora` wire: which model, on which provider, of which type and family.
 *
 * @example
 * const lora: LoraValue = { provider: 'scenario', id: 'model_abc', modelType: 'flux.1-lora', family: 'flux.1' };
 */
export const loraValueSchema = z.object({
  provider: z.enum(PROVIDERS),
  id: z.string().check(z.minLength(1)),
  family: z.string(),
  modelType: z.optional(z.string()),
  name: z.optional(z.string()),
});
/**
 * The value on a `lora` wire.
 *
 * @example
 * const l: LoraValue = { provider: 'modelslab', id: 'add-detail-xl', family: 'sd-xl' };
 */
export type LoraValue = z.infer<typeof loraValueSchema>;

/**
 * The value on a `model` wire: a LoRA with what its provider says of it (status; for Scenario, whether
 * it is an edit model and how many images trained it).
 *
 * @example
 * modelValueSchema.parse({ provider: 'scenario', id: 'model_a', family: 'flux.1', status: 'trained' });
 */
export const modelValueSchema = z.extend(loraValueSchema, {
  status: z.string(),
  edit: z.optional(z.boolean()),
  trainingImagesNumber: z.optional(z.nullable(z.number())),
});
/**
 * The value on a `model` wire.
 *
 * @example
 * const m: ModelValue = { provider: 'modelslab', id: 'x', family: 'sd-xl', status: 'model_ready' };
 */
export type ModelValue = z.infer<typeof modelValueSchema>;

/**
 * One image of a training set: stored bytes (uploaded at training) or an existing Scenario asset.
 *
 * @example
 * trainingImageValueSchema.parse({ name: 'a.png', assetId: 'asset_a' });
 */
export const trainingImageValueSchema = z.object({
  name: z.string(),
  blob: z.optional(blobRef),
  assetId: z.optional(z.string()),
  width: z.optional(z.number()),
  height: z.optional(z.number()),
});
/**
 * One image of a training set.
 *
 * @example
 * const i: TrainingImageValue = { name: 'a.png', assetId: 'asset_a' };
 */
export type TrainingImageValue = z.infer<typeof trainingImageValueSchema>;

/**
 * The value on a `training-set` wire: images, or before/after pairs with an instruction each.
 *
 * @example
 * const set: TrainingSetValue = { pairs: false, images: [{ name: 'a.png', assetId: 'asset_a' }], pairList: [] };
 */
export const trainingSetValueSchema = z.object({
  pairs: z.boolean(),
  images: z.array(trainingImageValueSchema),
  pairList: z.array(
    z.object({ source: trainingImageValueSchema, target: trainingImageValueSchema, instruction: z.string() }),
  ),
});
/**
 * The value on a `training-set` wire.
 *
 * @example
 * const s: TrainingSetValue = { pairs: false, images: [], pairList: [] };
 */
export type TrainingSetValue = z.infer<typeof trainingSetValueSchema>;

/**
 * The value on a `training` wire: a training started on a provider.
 *
 * @example
 * const t: TrainingValue = { provider: 'scenario', modelId: 'model_abc', modelType: 'zimage-lora', family: 'zimage', name: 'x' };
 */
export const trainingValueSchema = z.object({
  provider: z.enum(PROVIDERS),
  modelId: z.string().check(z.minLength(1)),
  modelType: z.string(),
  family: z.string(),
  name: z.optional(z.string()),
  jobId: z.optional(z.string()),
  /** A webhook announces this training's end (it was started with one), so its wait polls only as a safety net. */
  webhook: z.optional(z.boolean()),
});
/**
 * The value on a `training` wire.
 *
 * @example
 * const t: TrainingValue = { provider: 'scenario', modelId: 'model_a', modelType: 'flux.1-lora', family: 'flux.1' };
 */
export type TrainingValue = z.infer<typeof trainingValueSchema>;

/**
 * The value on an `images` wire: stored images with where they came from.
 *
 * @example
 * const images: ImagesValue = [{ blob: { $blob: 'ab…', mime: 'image/png', size: 1234 }, provider: 'scenario' }];
 */
export const imagesValueSchema = z.array(
  z.object({
    blob: blobRef,
    provider: z.optional(z.enum(PROVIDERS)),
    seed: z.optional(z.number()),
    assetId: z.optional(z.string()),
    width: z.optional(z.number()),
    height: z.optional(z.number()),
  }),
);
/**
 * The value on an `images` wire.
 *
 * @example
 * const images: ImagesValue = [];
 */
export type ImagesValue = z.infer<typeof imagesValueSchema>;
