import { z } from 'zod';

// Vendors add fields freely, so every object passes unknown keys through (z.looseObject).

/** `trainingProgress` of a model; built-in models carry `{}`. */
export const trainingProgressSchema = z.looseObject({
  stage: z.string().optional(),
  updatedAt: z.number().optional(),
  position: z.number().optional(),
  progress: z.number().optional(),
  remainingTimeMs: z.number().optional(),
  startedAt: z.number().optional(),
});
/**
 * Training progress of a model: stage, queue position, progress 0..1, remaining time.
 *
 * @example
 * const tp: TrainingProgress | undefined = model.trainingProgress; tp?.remainingTimeMs;
 */
export type TrainingProgress = z.infer<typeof trainingProgressSchema>;

export const conceptSchema = z.looseObject({
  modelId: z.string(),
  scale: z.number().optional(),
  modelEpoch: z.string().optional(),
});
/**
 * A LoRA used inside a composition or a generation, with its scale (-2..2).
 *
 * @example
 * const c: Concept = { modelId: 'model_a', scale: 0.8 };
 */
export type Concept = z.infer<typeof conceptSchema>;

export const trainingImageSchema = z.looseObject({
  id: z.string(),
  name: z.string().optional(),
  downloadUrl: z.string().optional(),
  createdAt: z.string().optional(),
  description: z.string().optional(),
  automaticCaptioning: z.string().optional(),
});
/**
 * A training image of a model (its id is an asset id).
 *
 * @example
 * const img: TrainingImage = await scenario.addTrainingImage(modelId, { assetId });
 */
export type TrainingImage = z.infer<typeof trainingImageSchema>;

export const trainingImagePairSchema = z.looseObject({
  sourceId: z.string().optional(),
  targetId: z.string().optional(),
  instruction: z.string().optional(),
});
/**
 * A source → target pair with its instruction, for edit LoRAs.
 *
 * @example
 * const pair: TrainingImagePair = { sourceId: 'asset_a', targetId: 'asset_b', instruction: 'make it night' };
 */
export type TrainingImagePair = z.infer<typeof trainingImagePairSchema>;

/**
 * A Scenario model. `status` is an open string: the schema's `new | training | trained | failed |
 * training-canceled | copying`, and the prose guide's `draft`, all parse.
 */
export const modelSchema = z.looseObject({
  id: z.string(),
  type: z.string().optional(),
  status: z.string(),
  name: z.string().optional(),
  shortDescription: z.string().optional(),
  privacy: z.string().optional(),
  source: z.string().optional(),
  custom: z.boolean().optional(),
  capabilities: z.array(z.string()).optional(),
  tags: z.array(z.string()).optional(),
  collectionIds: z.array(z.string()).optional(),
  exampleAssetIds: z.array(z.string()).optional(),
  compliantModelIds: z.array(z.string()).optional(),
  concepts: z.array(conceptSchema).optional(),
  trainingImagesNumber: z.number().optional(),
  trainingImages: z.array(trainingImageSchema).optional(),
  trainingImagePairs: z.array(trainingImagePairSchema).optional(),
  trainingProgress: trainingProgressSchema.optional(),
  trainingStats: z
    .looseObject({
      queueDuration: z.number().optional(),
      trainDuration: z.number().optional(),
      startedAt: z.string().optional(),
      endedAt: z.string().optional(),
    })
    .optional(),
  parameters: z.record(z.string(), z.unknown()).optional(),
  // The spec's thumbnail: an asset and its (signed) URL; models without one omit it. Only a picker shows it, so a
  // malformed one is dropped rather than failing the model read (a training poll reads the same model).
  thumbnail: z.looseObject({ assetId: z.string().optional(), url: z.string() }).optional().catch(undefined),
  ownerId: z.string().optional(),
  createdAt: z.string().optional(),
  updatedAt: z.string().optional(),
});
/**
 * A Scenario model as parsed (unknown fields kept).
 *
 * @example
 * const model: Model = await scenario.getModel('model_abc'); modelPhase(model.status);
 */
export type Model = z.infer<typeof modelSchema>;

/**
 * A Scenario job. The schema's `jobId`/`jobType` and the prose guide's `id`/`type` both parse;
 * the result always has `jobId` (and `jobType` when either was sent).
 */
export const jobSchema = z
  .looseObject({
    jobId: z.string().optional(),
    id: z.string().optional(),
    jobType: z.string().optional(),
    type: z.string().optional(),
    status: z.string().optional(),
    progress: z.number().optional(),
    createdAt: z.string().optional(),
    updatedAt: z.string().optional(),
    statusHistory: z.array(z.looseObject({ status: z.string(), date: z.string().optional() })).optional(),
    metadata: z
      .looseObject({
        assetIds: z.array(z.string()).optional(),
        error: z.string().optional(),
      })
      .optional(),
  })
  .refine((j) => typeof (j.jobId ?? j.id) === 'string', {
    message: 'a job needs `jobId` (or `id`)',
    path: ['jobId'],
  })
  .transform((j) => ({ ...j, jobId: (j.jobId ?? j.id) as string, jobType: j.jobType ?? j.type }));
/**
 * A Scenario job as parsed; `jobId` is always set (from `jobId` or `id`).
 *
 * @example
 * const job: Job = await scenario.getJob('job_abc'); job.metadata?.assetIds;
 */
export type Job = z.infer<typeof jobSchema>;

export const assetSchema = z.looseObject({
  id: z.string(),
  url: z.string(),
  mimeType: z.string().optional(),
  kind: z.string().optional(),
  status: z.string().optional(),
  source: z.string().optional(),
  properties: z
    .looseObject({ size: z.number().optional(), width: z.number().optional(), height: z.number().optional() })
    .optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  createdAt: z.string().optional(),
});
/**
 * A Scenario asset: a signed `url`, its type and size.
 *
 * @example
 * const asset: Asset = await scenario.getAsset('asset_abc'); asset.url;
 */
export type Asset = z.infer<typeof assetSchema>;

/** The body of an HTTP 269 dry run: what the call would cost, in creative units. */
export const costSchema = z.looseObject({
  creativeUnitsCost: z.number(),
  creativeUnitsDiscount: z.number().optional(),
  costDetails: z.record(z.string(), z.number()).optional(),
});
/**
 * What a dry run would cost (from HTTP 269).
 *
 * @example
 * const cost: CostEstimate = await scenario.trainModel(id, { dryRun: true }); cost.creativeUnitsCost;
 */
export type CostEstimate = z.infer<typeof costSchema> & { kind: 'cost' };

const nextToken = z
  .string()
  .nullish()
  .transform((t) => (t ? t : undefined));

export const modelEnvelope = z.looseObject({ model: modelSchema });
export const modelListEnvelope = z.looseObject({
  models: z.array(modelSchema),
  nextPaginationToken: nextToken,
});
export const jobEnvelope = z.looseObject({ job: jobSchema });
export const jobListEnvelope = z.looseObject({ jobs: z.array(jobSchema), nextPaginationToken: nextToken });
export const assetEnvelope = z.looseObject({ asset: assetSchema });
export const trainingImageEnvelope = z.looseObject({ trainingImage: trainingImageSchema });
export const pairsEnvelope = z.looseObject({
  count: z.number().optional(),
  pairs: z.array(trainingImagePairSchema).optional(),
});
export const trainEnvelope = z.looseObject({
  model: modelSchema.optional(),
  job: jobSchema,
  creativeUnitsCost: z.number().optional(),
  creativeUnitsDiscount: z.number().optional(),
  // The prose guide's variant of the cost field.
  creativeUnits: z.looseObject({ estimatedCreativeUnits: z.number().optional() }).optional(),
});
export const generateEnvelope = z.looseObject({
  job: jobSchema,
  inference: z.record(z.string(), z.unknown()).optional(),
  creativeUnitsCost: z.number().optional(),
  creativeUnitsDiscount: z.number().optional(),
});

/**
 * Where a model status stands, whatever spelling the vendor used.
 *
 * @example
 * const phase: ModelPhase = modelPhase(model.status);
 */
export type ModelPhase = 'trained' | 'failed' | 'canceled' | 'training' | 'not-trained';

/**
 * Classifies a model status; unknown values (and the guide's `draft`) count as not yet trained.
 *
 * @example
 * modelPhase('training-canceled'); // 'canceled'
 */
export function modelPhase(status: string): ModelPhase {
  switch (status) {
    case 'trained':
      return 'trained';
    case 'failed':
      return 'failed';
    case 'training-canceled':
      return 'canceled';
    case 'training':
      return 'training';
    default:
      return 'not-trained';
  }
}

/**
 * Job statuses after which nothing changes (what the vendor's own `job.wait()` stops on).
 *
 * @example
 * if (TERMINAL_JOB_STATUSES.has(job.status ?? '')) stopPolling();
 */
export const TERMINAL_JOB_STATUSES: ReadonlySet<string> = new Set(['success', 'failure', 'canceled']);
