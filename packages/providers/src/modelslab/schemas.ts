import { z } from 'zod';

const idLike = z.union([z.number(), z.string()]).transform(String);
const urlList = z
  .array(z.string())
  .nullish()
  .transform((v) => v ?? []);

/** Any ModelsLab image answer: `success`, `processing`, `error`/`failed` (text2img and fetch share it). */
export const imageResponseSchema = z.looseObject({
  status: z.string(),
  id: idLike.optional(),
  eta: z.union([z.number(), z.string()]).optional(),
  output: urlList,
  proxy_links: urlList,
  future_links: urlList,
  fetch_result: z.string().optional(),
  generationTime: z.number().optional(),
  message: z.string().optional(),
  messege: z.string().optional(),
  meta: z.record(z.string(), z.unknown()).optional(),
  nsfw_content_detected: z.boolean().optional(),
});

/**
 * A finished generation: the image URLs.
 *
 * @example
 * const done: ModelsLabSuccess = await waitForModelsLabResult({ client, id }); done.output[0];
 */
export interface ModelsLabSuccess {
  status: 'success';
  id: string | undefined;
  output: string[];
  generationTimeS: number | undefined;
  meta: Record<string, unknown> | undefined;
}

/**
 * A queued generation: poll {@link ModelsLabClient.fetch} with `id` after `etaMs`.
 *
 * @example
 * if (r.status === 'processing') await waitForModelsLabResult({ client, id: r.id, etaMs: r.etaMs });
 */
export interface ModelsLabProcessing {
  status: 'processing';
  id: string;
  etaMs: number | undefined;
  fetchResult: string | undefined;
  futureLinks: string[];
  message: string | undefined;
}

/**
 * What text2img and fetch return once errors are thrown.
 *
 * @example
 * const r: ModelsLabImageResult = await ml.text2img(input); if (r.status === 'success') show(r.output);
 */
export type ModelsLabImageResult = ModelsLabSuccess | ModelsLabProcessing;

/** v3 answers spell `message` as `messege`; both are read. */
export const v3ResponseSchema = z.looseObject({
  status: z.string(),
  message: z.string().optional(),
  messege: z.string().optional(),
  data: z.unknown().optional(),
  training_id: idLike.optional(),
  link: z.string().optional(),
  training_status: z.string().optional(),
  model_training_status: z.string().optional(),
});

/**
 * The v3 training stages, in order; `model_ready` is the terminal success.
 *
 * @example
 * const fraction = (status.stageIndex + 1) / TRAINING_STAGES.length;
 */
export const TRAINING_STAGES = [
  'deploying_gpu',
  'training_started',
  'training_success',
  'trained_model_compressing',
  'trained_model_uploading',
  'trained_model_uploaded',
  'deploying_model',
  'model_ready',
] as const;

/**
 * A training's state as `fine_tune_status` reports it.
 *
 * @example
 * const s: ModelsLabTrainingStatus = await ml.fineTuneStatus(id); if (s.done) use(id);
 */
export interface ModelsLabTrainingStatus {
  /** The stage (`deploying_gpu` … `model_ready`), or whatever unknown stage the vendor sent. */
  stage: string;
  /** Index of `stage` in {@link TRAINING_STAGES}, or -1 when unknown. */
  stageIndex: number;
  /** True at `model_ready`. */
  done: boolean;
  /** The vendor's progress log, when sent. */
  log: string | undefined;
}

/** One row of `POST /v4/dreambooth/model_list` (the spec's `PublicModel`); the vendor may add fields. */
export const publicModelSchema = z.looseObject({
  model_id: z.string().min(1),
  status: z.string().nullish(),
  created_at: z.string().nullish(),
  instance_prompt: z.string().nullish(),
  model_name: z.string().nullish(),
  description: z.string().nullish(),
  screenshots: z.string().nullish(),
});

/**
 * A public ModelsLab model (a checkpoint such as `midjourney`), camelCased from the spec's `PublicModel`.
 *
 * @example
 * const m: ModelsLabPublicModel = { id: 'midjourney', name: 'MidJourney V4', status: 'model_ready', screenshot: 'https://…/1.png' };
 */
export interface ModelsLabPublicModel {
  id: string;
  name: string;
  status: string | undefined;
  description: string | undefined;
  instancePrompt: string | undefined;
  /** The preview image's URL, to fetch through the download path (never shown as is). */
  screenshot: string | undefined;
}

/**
 * The public model list: the rows that passed their schema, and how many did not (left out, never quoted).
 *
 * @example
 * const { models, skipped } = await modelslab.models.listPublic();
 * if (skipped > 0) warn(`${skipped} ModelsLab models could not be read`);
 */
export interface ModelsLabPublicModelList {
  models: ModelsLabPublicModel[];
  /** Rows of the vendor's answer that failed their schema and were left out. */
  skipped: number;
}
