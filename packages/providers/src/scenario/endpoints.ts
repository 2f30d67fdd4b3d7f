import { z } from 'zod';
import { type AnyEndpoint, defineEndpoint, oneOfForms } from '../endpoint';
import {
  assetEnvelope,
  type CostEstimate,
  costSchema,
  generateEnvelope,
  type Job,
  jobEnvelope,
  jobListEnvelope,
  type Model,
  modelEnvelope,
  modelListEnvelope,
  pairsEnvelope,
  trainEnvelope,
  trainingImageEnvelope,
} from './schemas';

// The Scenario endpoints loraflow uses, as descriptors (PROVIDERS.md 1.5-1.6 and the 2025-11 spec).
// Argument schemas check what the vendor documents; answer schemas are loose and unwrap envelopes.

const id = z.string().min(1).max(200);
const pageSize = z.number().int().min(1).max(500);
const dataUrl = z
  .string()
  .regex(/^data:image\/[a-z0-9.+-]+;base64,[A-Za-z0-9+/=\s]+$/i, 'expected a base64 image data URL');

function csv(list: string[] | undefined): string | undefined {
  return list && list.length > 0 ? list.join(',') : undefined;
}

/**
 * One page of a list.
 *
 * @example
 * const page: Page<Model> = await scenario.models.list({ pageSize: 10 });
 */
export interface Page<T> {
  items: T[];
  nextPaginationToken: string | undefined;
}

const modelPage = modelListEnvelope.transform(
  (b): Page<Model> => ({ items: b.models, nextPaginationToken: b.nextPaginationToken }),
);
const jobPage = jobListEnvelope.transform(
  (b): Page<Job> => ({ items: b.jobs, nextPaginationToken: b.nextPaginationToken }),
);
const model = modelEnvelope.transform((b) => b.model);
const job = jobEnvelope.transform((b) => b.job);
const asset = assetEnvelope.transform((b) => b.asset);
const cost = costSchema.transform((c): CostEstimate => ({ kind: 'cost', ...c }));

const listModelsSchema = z
  .object({
    privacy: z.enum(['private', 'public']).optional(),
    status: z.string().optional(),
    type: z.string().optional(),
    types: z.array(z.string()).optional(),
    tags: z.array(z.string()).optional(),
    collectionId: z.string().optional(),
    pageSize: pageSize.optional(),
    paginationToken: z.string().optional(),
  })
  .strict();
/**
 * Filters of {@link ScenarioModels.list}.
 *
 * @example
 * const q: ListModelsQuery = { type: 'flux.1-lora', status: 'trained', pageSize: 100 };
 */
export type ListModelsQuery = z.input<typeof listModelsSchema>;

const listPublicSchema = z
  .object({
    type: z.string().optional(),
    types: z.array(z.string()).optional(),
    tags: z.array(z.string()).optional(),
    collectionIds: z.array(z.string()).optional(),
    sortBy: z.string().optional(),
    sortDirection: z.enum(['asc', 'desc']).optional(),
    pageSize: pageSize.optional(),
    paginationToken: z.string().optional(),
  })
  .strict();
/**
 * Filters of {@link ScenarioModels.listPublic}.
 *
 * @example
 * const q: ListPublicModelsQuery = { types: ['flux.1-lora'], sortBy: 'createdAt', sortDirection: 'desc' };
 */
export type ListPublicModelsQuery = z.input<typeof listPublicSchema>;

const conceptInput = z
  .object({ modelId: id, scale: z.number().min(-2).max(2), modelEpoch: z.string().optional() })
  .strict();

const createModelSchema = z
  .object({
    name: z.string().max(64).optional(),
    shortDescription: z.string().max(256).optional(),
    type: z.string().min(1).optional(),
    concepts: z.array(conceptInput).max(6).optional(),
    classSlug: z.string().optional(),
    collectionIds: z.array(z.string()).optional(),
  })
  .strict()
  .refine((b) => !b.type?.endsWith('-composition') || (b.concepts?.length ?? 0) > 0, {
    message: 'a composition needs at least one concept',
    path: ['concepts'],
  });
/**
 * Body of {@link ScenarioModels.create}.
 *
 * @example
 * const input: CreateModelInput = { type: 'flux.1-composition', concepts: [{ modelId: 'model_a', scale: 0.8 }] };
 */
export type CreateModelInput = z.input<typeof createModelSchema>;

const preset = z.enum(['default', 'style', 'subject']).optional();
const uploadSchema = z.object({ name: z.string().min(1).max(256), data: dataUrl, preset }).strict();
const assetSchema = z.object({ assetId: id, preset }).strict();
const batchSchema = z
  .object({ assetIds: z.array(id).min(1).max(10, 'at most 10 assetIds per request'), preset })
  .strict();
const trainingImageInputSchema = z.union([uploadSchema, assetSchema, batchSchema]);
/**
 * One upload (data URL), one existing asset, or up to 10 assets.
 *
 * @example
 * const input: TrainingImageInput = { name: 'cat.png', data: 'data:image/png;base64,...' };
 */
export type TrainingImageInput = z.input<typeof trainingImageInputSchema>;
// The form is chosen by its key, so a mistake is reported on that form's fields.
const trainingImageBody = oneOfForms((input) => {
  if (input && typeof input === 'object' && 'assetIds' in input) return batchSchema;
  if (input && typeof input === 'object' && 'assetId' in input) return assetSchema;
  return uploadSchema;
});

const pairsSchema = z.array(
  z.object({ sourceId: id, targetId: id, instruction: z.string().max(2048) }).strict(),
);

const trainSchema = z
  .object({
    parameters: z.record(z.string(), z.unknown()).optional(),
    dryRun: z.boolean().optional(),
    trainingImagesCount: z.number().int().min(1).max(1000).optional(),
  })
  .strict();
/**
 * Arguments of {@link ScenarioModels.train}.
 *
 * @example
 * const input: TrainModelInput = { parameters: { nbEpochs: 10, rank: 16 } };
 */
export type TrainModelInput = z.input<typeof trainSchema>;
// The whole argument is checked; only `parameters` is the body (dryRun and the count go in the query).
const trainBody = trainSchema.transform((t) => ({ parameters: t.parameters ?? {} }));

const listJobsSchema = z
  .object({
    status: z.string().optional(),
    type: z.string().optional(),
    types: z.array(z.string()).optional(),
    pageSize: z.number().int().min(1).max(200).optional(),
    paginationToken: z.string().optional(),
  })
  .strict();
/**
 * Filters of {@link ScenarioJobs.list}.
 *
 * @example
 * const q: ListJobsQuery = { status: 'in-progress', pageSize: 50 };
 */
export type ListJobsQuery = z.input<typeof listJobsSchema>;

const uploadAssetSchema = z
  .object({
    name: z.string().min(1).max(256),
    image: dataUrl,
    collectionIds: z.array(id).optional(),
    parentId: id.optional(),
    hide: z.boolean().optional(),
  })
  .strict();
/**
 * Body of {@link ScenarioAssets.upload} (`POST /assets`): the image as a base64 data URL, and its file name.
 *
 * @example
 * const input: UploadAssetInput = { name: 'before.png', image: 'data:image/png;base64,...' };
 */
export type UploadAssetInput = z.input<typeof uploadAssetSchema>;

const txt2imgSchema = z
  .object({
    modelId: id,
    prompt: z.string().min(1).max(10_000),
    negativePrompt: z.string().optional(),
    negativePromptStrength: z.number().min(0).max(10).optional(),
    numSamples: z.number().int().min(1).max(128).optional(),
    width: z.number().int().min(64).max(2048).multipleOf(8).optional(),
    height: z.number().int().min(64).max(2048).multipleOf(8).optional(),
    guidance: z.number().min(0).max(20).optional(),
    numInferenceSteps: z.number().int().min(1).max(150).optional(),
    // The spec types txt2img's seed as a string; numbers are accepted and sent as strings.
    seed: z
      .union([z.string().regex(/^\d+$/), z.number().int().min(0)])
      .transform(String)
      .optional(),
    scheduler: z.string().optional(),
    concepts: z.array(conceptInput).max(6).optional(),
    baseModelId: z.string().optional(),
    modelEpoch: z.string().optional(),
    hideResults: z.boolean().optional(),
    intermediateImages: z.boolean().optional(),
  })
  .strict();
/**
 * Body of {@link ScenarioGenerations.txt2img} (route A).
 *
 * @example
 * const input: Txt2imgInput = { modelId: 'model_comp', prompt: 'a castle', numSamples: 1, seed: 42 };
 */
export type Txt2imgInput = z.input<typeof txt2imgSchema>;

// Route B bodies are model-specific (the base model's `inputs[]`): known fields are checked, others pass.
const customSchema = z.looseObject({
  prompt: z.string().min(1).max(2048),
  modelId: id.optional(),
  loras: z.array(id).max(6, 'at most 6 LoRAs').optional(),
  lorasScale: z.array(z.number().min(0).max(2)).max(6).optional(),
  referenceImages: z.array(id).max(5).optional(),
  numOutputs: z.number().int().min(1).max(4).optional(),
  numInferenceSteps: z.number().int().min(1).max(100).optional(),
  width: z.number().int().min(128).max(2048).multipleOf(16).optional(),
  height: z.number().int().min(128).max(2048).multipleOf(16).optional(),
  guidance: z.number().min(0).max(10).optional(),
  seed: z.number().int().min(0).max(2147483647).optional(),
});
/**
 * Body of {@link ScenarioGenerations.custom} (route B).
 *
 * @example
 * const input: CustomGenerateInput = { prompt: 'a fox', loras: ['model_a', 'model_b'], lorasScale: [0.8, 0.4] };
 */
export type CustomGenerateInput = z.input<typeof customSchema>;

const editSchema = customSchema.extend({
  referenceImages: z.array(id).min(1, 'an edit needs the image to edit').max(5),
});
/**
 * Body of {@link ScenarioGenerations.edit}: route B with the image(s) to edit as `referenceImages`
 * (asset ids, e.g. from `assets.upload`), for FLUX.2 edit LoRAs (`flux.2-dev-edit-lora`, ...).
 *
 * @example
 * const input: EditGenerateInput = { prompt: 'make it night', referenceImages: ['asset_in'], loras: ['model_edit'], lorasScale: [1] };
 */
export type EditGenerateInput = z.input<typeof editSchema>;

const img2imgSchema = customSchema.extend({
  // The spec's img2img `image`: an asset id or a data URL.
  image: z.union([dataUrl, id.regex(/^[^\s:]+$/, 'expected an asset id or a base64 image data URL')]),
  strength: z.number().min(0.01).max(1).optional(),
});
/**
 * Body of {@link ScenarioGenerations.img2img}: route B with `image` (an asset id or a data URL)
 * and `strength` (0.01..1, the vendor's default 0.75), for FLUX.1 bases such as `model_bfl-flux-1-dev`.
 *
 * @example
 * const input: Img2imgGenerateInput = { prompt: 'a watercolour', image: 'asset_in', strength: 0.6, loras: ['model_style'] };
 */
export type Img2imgGenerateInput = z.input<typeof img2imgSchema>;

/**
 * A started training: the model (now `training`) and its job.
 *
 * @example
 * const { job }: TrainResult = await scenario.models.train(modelId);
 */
export interface TrainResult {
  kind: 'started';
  model: Model | undefined;
  job: Job;
  creativeUnitsCost: number | undefined;
}

/**
 * A submitted generation: poll `job` with `waitForJob`, then read `job.metadata.assetIds`.
 *
 * @example
 * const { job }: GenerateResult = await scenario.generations.custom('model_bfl-flux-2-dev', input);
 */
export interface GenerateResult {
  kind: 'submitted';
  job: Job;
  creativeUnitsCost: number | undefined;
}

const submitted = generateEnvelope.transform(
  (o): GenerateResult => ({ kind: 'submitted', job: o.job, creativeUnitsCost: o.creativeUnitsCost }),
);
const started = trainEnvelope.transform(
  (b): TrainResult => ({
    kind: 'started',
    model: b.model,
    job: b.job,
    creativeUnitsCost: b.creativeUnitsCost ?? b.creativeUnits?.estimatedCreativeUnits,
  }),
);

const noQuery = z.object({}).strict().optional();
const modelParams = z.object({ modelId: id }).strict();
const jobParams = z.object({ jobId: id }).strict();
const baseModelParams = z.object({ modelId: id }).strict();

/**
 * The same call priced instead of run: `?dryRun=true`, answered with HTTP 269 and the cost; safe to repeat.
 *
 * @example
 * const priced = dryRunOf(scenarioEndpoints.txt2img);
 */
export function dryRunOf<
  E extends AnyEndpoint,
  Q extends z.ZodType<Record<string, unknown> | undefined> = typeof noQuery,
>(endpoint: E, query?: Q) {
  return defineEndpoint({
    method: endpoint.method,
    path: endpoint.path,
    kind: 'read',
    params: endpoint.params as E['params'],
    body: endpoint.body as E['body'],
    query: ((query ?? noQuery) as Q).transform((q) => ({ ...q, dryRun: true })),
    response: cost,
  });
}

const txt2img = defineEndpoint({
  method: 'POST',
  path: '/generate/txt2img',
  kind: 'create',
  body: txt2imgSchema,
  response: submitted,
});
const custom = defineEndpoint({
  method: 'POST',
  path: '/generate/custom/{modelId}',
  kind: 'create',
  params: baseModelParams,
  body: customSchema,
  response: submitted,
});
const edit = defineEndpoint({ ...custom, body: editSchema });
const img2img = defineEndpoint({ ...custom, body: img2imgSchema });
const train = defineEndpoint({
  method: 'PUT',
  path: '/models/{modelId}/train',
  kind: 'create',
  params: modelParams,
  body: trainBody,
  response: started,
});

/**
 * Every Scenario endpoint the client wraps, by name: what `ScenarioClient`'s resources call, and
 * what a host may call directly with `scenario.request(endpoint, parts)`.
 *
 * @example
 * const page = await scenario.request(scenarioEndpoints.listJobs, { query: { status: 'success' } });
 */
export const scenarioEndpoints = {
  listModels: defineEndpoint({
    method: 'GET',
    path: '/models',
    kind: 'read',
    query: listModelsSchema.transform((q) => ({ ...q, types: csv(q.types), tags: csv(q.tags) })),
    response: modelPage,
  }),
  listPublicModels: defineEndpoint({
    method: 'GET',
    path: '/models/public',
    kind: 'read',
    query: listPublicSchema.transform((q) => ({
      ...q,
      types: csv(q.types),
      tags: csv(q.tags),
      collectionIds: csv(q.collectionIds),
    })),
    response: modelPage,
  }),
  getModel: defineEndpoint({
    method: 'GET',
    path: '/models/{modelId}',
    kind: 'read',
    params: modelParams,
    response: model,
  }),
  createModel: defineEndpoint({
    method: 'POST',
    path: '/models',
    kind: 'create',
    body: createModelSchema,
    response: model,
  }),
  addTrainingImage: defineEndpoint({
    method: 'POST',
    path: '/models/{modelId}/training-images',
    kind: 'create',
    params: modelParams,
    body: trainingImageBody,
    response: trainingImageEnvelope.transform((b) => b.trainingImage),
  }),
  // A PUT of the whole list: sending it twice leaves the same pairs.
  replaceTrainingImagePairs: defineEndpoint({
    method: 'PUT',
    path: '/models/{modelId}/training-images/pairs',
    kind: 'read',
    params: modelParams,
    body: pairsSchema,
    response: pairsEnvelope,
  }),
  train,
  trainCost: dryRunOf(
    train,
    z.object({ trainingImagesCount: trainSchema.shape.trainingImagesCount }).strict().optional(),
  ),
  // Cancelling twice cancels once.
  trainAction: defineEndpoint({
    method: 'POST',
    path: '/models/{modelId}/train/action',
    kind: 'read',
    params: modelParams,
    body: z.object({ action: z.literal('cancel') }).strict(),
    response: model,
  }),
  getJob: defineEndpoint({
    method: 'GET',
    path: '/jobs/{jobId}',
    kind: 'read',
    params: jobParams,
    response: job,
  }),
  listJobs: defineEndpoint({
    method: 'GET',
    path: '/jobs',
    kind: 'read',
    query: listJobsSchema.transform((q) => ({ ...q, types: csv(q.types) })),
    response: jobPage,
  }),
  cancelJob: defineEndpoint({
    method: 'POST',
    path: '/jobs/{jobId}/action',
    kind: 'read',
    params: jobParams,
    body: z.object({ action: z.literal('cancel') }).strict(),
    // The acknowledgement may come without a body.
    response: job.optional(),
  }),
  getAsset: defineEndpoint({
    method: 'GET',
    path: '/assets/{assetId}',
    kind: 'read',
    params: z.object({ assetId: id }).strict(),
    response: asset,
  }),
  uploadAsset: defineEndpoint({
    method: 'POST',
    path: '/assets',
    kind: 'create',
    body: uploadAssetSchema,
    response: asset,
  }),
  txt2img,
  txt2imgCost: dryRunOf(txt2img),
  custom,
  customCost: dryRunOf(custom),
  edit,
  editCost: dryRunOf(edit),
  img2img,
  img2imgCost: dryRunOf(img2img),
} as const;
