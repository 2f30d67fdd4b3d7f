import { z } from 'zod';
import { defineEndpoint } from '../endpoint';
import { urlSecrets } from '../redact';
import {
  imageResponseSchema,
  type ModelsLabImageResult,
  type ModelsLabPublicModel,
  type ModelsLabPublicModelList,
  publicModelSchema,
  v3ResponseSchema,
} from './schemas';

// The ModelsLab endpoints loraflow uses, as descriptors (PROVIDERS.md 2.x and specs/modelslab-*.json).
// Every call is a POST with a JSON body; the client adds `key` to it. Arguments are camelCase here
// and mapped to the vendor's fields by the body schemas: numbers as numbers, flags as "yes"/"no",
// LoRAs as comma-joined `lora_model` / `lora_strength` (PROVIDERS.md 2.1's conclusion).

const id = z.string().min(1).max(200);
const size = z.number().int().min(256).max(1024, 'must be at most 1024').multipleOf(8);
const httpUrl = z.url({ protocol: /^https?$/ });
const yesNo = (v: boolean | undefined) => (v === undefined ? undefined : v ? 'yes' : 'no');

// The parameters text2img and img2img share (the spec's CommonImageGenerationParams).
const commonImageShape = {
  modelId: id,
  negativePrompt: z.string().optional(),
  width: size.optional(),
  height: size.optional(),
  samples: z.number().int().min(1).max(4).optional(),
  numInferenceSteps: z.number().int().min(1).max(50).optional(),
  guidanceScale: z.number().min(1).max(20).optional(),
  seed: z.number().int().min(0).nullable().optional(),
  scheduler: z.string().optional(),
  clipSkip: z.number().int().min(1).max(8).optional(),
  loras: z
    .array(
      z
        .object({
          model: id.regex(/^[^,]+$/, 'a LoRA id cannot contain a comma'),
          strength: z.number().min(0.1).max(1),
        })
        .strict(),
    )
    .optional(),
  safetyChecker: z.boolean().optional(),
  enhancePrompt: z.boolean().optional(),
  useKarrasSigmas: z.boolean().optional(),
  base64: z.boolean().optional(),
  temp: z.boolean().optional(),
  vae: z.string().optional(),
  webhook: z.url().optional(),
  trackId: z.string().optional(),
};
const commonImage = z.object(commonImageShape).strict();

function commonToWire(i: z.output<typeof commonImage>): Record<string, unknown> {
  const loras = i.loras ?? [];
  return {
    model_id: i.modelId,
    negative_prompt: i.negativePrompt,
    width: i.width,
    height: i.height,
    samples: i.samples,
    num_inference_steps: i.numInferenceSteps,
    guidance_scale: i.guidanceScale,
    seed: i.seed,
    scheduler: i.scheduler,
    clip_skip: i.clipSkip,
    lora_model: loras.length > 0 ? loras.map((l) => l.model).join(',') : undefined,
    lora_strength: loras.length > 0 ? loras.map((l) => String(l.strength)).join(',') : undefined,
    safety_checker: yesNo(i.safetyChecker),
    enhance_prompt: yesNo(i.enhancePrompt),
    use_karras_sigmas: yesNo(i.useKarrasSigmas),
    base64: yesNo(i.base64),
    temp: yesNo(i.temp),
    vae: i.vae,
    webhook: i.webhook,
    track_id: i.trackId,
  };
}

/**
 * The inference steps ModelsLab documents for a text2img `model_id`: FLUX (`flux`) takes 1..50 (the
 * FLUX spec); every other model takes 21, 31 or 41 (the multi-LoRA page; decision 0028).
 *
 * @example
 * modelslabSteps('sdxl'); // { values: [21, 31, 41] }
 */
export function modelslabSteps(modelId: string): { values: readonly number[] } | { range: [number, number] } {
  return modelId === 'flux' ? { range: [1, 50] } : { values: MODELSLAB_DOCUMENTED_STEPS };
}
const MODELSLAB_DOCUMENTED_STEPS = [21, 31, 41] as const;

/**
 * Whether a step count is one ModelsLab documents for a model, and the sentence saying what it takes.
 *
 * @example
 * modelslabStepsProblem('realistic-vision-v51', 30); // 'takes 21, 31 or 41 inference steps …'
 */
export function modelslabStepsProblem(modelId: string, steps: number): string | undefined {
  const allowed = modelslabSteps(modelId);
  if ('range' in allowed) {
    const [lo, hi] = allowed.range;
    return steps >= lo && steps <= hi
      ? undefined
      : `takes ${lo}..${hi} inference steps for ${modelId}, not ${steps}`;
  }
  if (allowed.values.includes(steps)) return undefined;
  return `takes ${allowed.values.slice(0, -1).join(', ')} or ${allowed.values.at(-1)} inference steps for ${modelId} (its multi-LoRA documentation), not ${steps}`;
}

const text2imgSchema = commonImage
  .extend({
    prompt: z.string().min(1).max(10_000),
    multiLingual: z.boolean().optional(),
    upscale: z.boolean().optional(),
    highresFix: z.boolean().optional(),
  })
  .strict()
  .superRefine((i, ctx) => {
    const problem =
      i.numInferenceSteps === undefined ? undefined : modelslabStepsProblem(i.modelId, i.numInferenceSteps);
    if (problem)
      ctx.addIssue({ code: 'custom', path: ['numInferenceSteps'], message: `ModelsLab ${problem}` });
  });
/**
 * Arguments of {@link ModelsLabImages.text2img}; LoRAs are `{ model, strength }` pairs.
 *
 * @example
 * const input: ModelsLabText2ImgInput = { modelId: 'sdxl', prompt: 'a fox', loras: [{ model: 'add-detail-xl', strength: 0.6 }] };
 */
export type ModelsLabText2ImgInput = z.input<typeof text2imgSchema>;

const img2imgSchema = commonImage
  .extend({
    initImage: httpUrl,
    prompt: z.string().min(1).max(10_000).optional(),
    strength: z.number().min(0).max(1).optional(),
  })
  .strict();
/**
 * Arguments of {@link ModelsLabImages.img2img} (`POST /v6/images/img2img`): `initImage` is the
 * public http(s) URL of the image to start from (e.g. from `training.base64Crop`), `strength`
 * 0..1 how much of it is replaced (1 erases it); LoRAs and the other fields as in text2img.
 *
 * @example
 * const input: ModelsLabImg2ImgInput = { modelId: 'sdxl', initImage: url, prompt: 'a watercolour', strength: 0.6, loras: [{ model: 'anime', strength: 0.7 }] };
 */
export type ModelsLabImg2ImgInput = z.input<typeof img2imgSchema>;

const fineTuneSchema = z
  .object({
    instancePrompt: z.string().min(1),
    classPrompt: z.string().min(1),
    baseModelType: z.enum(['normal', 'sdxl']).optional(),
    images: z.array(httpUrl).min(1),
    // The spec's enum; "null" is the string (objects), as the spec types it.
    trainingType: z.enum(['men', 'women', 'couple', 'null']),
    loraType: z.enum(['lora', 'lycoris']).optional(),
    maxTrainSteps: z.number().int().min(10).max(50),
    seed: z.number().int().min(0).optional(),
    negativePrompt: z.string().optional(),
    webhook: z.url().nullable().optional(),
  })
  .strict();
/**
 * Arguments of {@link ModelsLabTraining.loraFineTune} (v3 LoRA training).
 *
 * @example
 * const input: ModelsLabFineTuneInput = { instancePrompt: 'photo of sks dog', classPrompt: 'photo of a dog', images: urls, trainingType: 'null', maxTrainSteps: 20 };
 */
export type ModelsLabFineTuneInput = z.input<typeof fineTuneSchema>;

const cropSchema = z
  .object({
    image: z.string().regex(/^data:image\/[a-z0-9.+-]+;base64,/i, 'expected a base64 image data URL'),
    crop: z.boolean().optional(),
  })
  .strict();

const MISSING_ID = 'a queued answer needs an id to fetch';

/**
 * A ModelsLab image answer as a result, `id` standing in for a queued answer's missing one (the id
 * a fetch asked for, or the end of its `fetch_result` URL); undefined when a queued answer has none.
 * Any non-error status other than `success` (`processing`, or one not documented yet) means: ask again later.
 *
 * @example
 * toImageResult(answer, '42'); // { status: 'processing', id: '42', ... }
 */
export function toImageResult(
  r: z.output<typeof imageResponseSchema>,
  id: string | undefined,
): ModelsLabImageResult | undefined {
  if (r.status === 'success') {
    return {
      status: 'success',
      id: r.id ?? id,
      output: r.output.length > 0 ? r.output : r.proxy_links,
      generationTimeS: r.generationTime,
      meta: r.meta,
    };
  }
  const queued = r.id ?? id ?? /\/(\d+)\/?$/.exec(r.fetch_result ?? '')?.[1];
  if (queued === undefined) return undefined;
  const eta = Number(r.eta);
  return {
    status: 'processing',
    id: queued,
    etaMs: Number.isFinite(eta) && eta >= 0 ? Math.round(eta * 1000) : undefined,
    fetchResult: r.fetch_result,
    futureLinks: r.future_links,
    message: r.message ?? r.messege,
  };
}

const imageResult = imageResponseSchema.transform((r, ctx): ModelsLabImageResult => {
  const result = toImageResult(r, undefined);
  if (result) return result;
  ctx.addIssue({
    code: 'invalid_type',
    expected: 'string',
    input: undefined,
    path: ['id'],
    message: MISSING_ID,
  });
  return z.NEVER;
});

const message = v3ResponseSchema.transform((r) => ({ message: r.message ?? r.messege }));
const idParams = z.object({ id: z.union([id, z.number().int().min(0).transform(String)]) }).strict();
const cancelAt = (path: string) =>
  defineEndpoint({ method: 'POST', path, kind: 'read', params: idParams, response: message });

/**
 * Every ModelsLab endpoint the client wraps, by name: what `ModelsLabClient`'s resources call, and
 * what a host may call directly with `modelslab.request(endpoint, parts)`.
 *
 * @example
 * const r = await modelslab.request(modelslabEndpoints.fetch, { params: { id: '12345' } });
 */
// the wire body's `webhook` (commonToWire's record): its URL lets a holder post callbacks, so it is a secret of the call
const webhookSecrets = (body: object) => {
  const hook = (body as { webhook?: unknown }).webhook;
  return urlSecrets(typeof hook === 'string' ? hook : undefined);
};

export const modelslabEndpoints = {
  text2img: defineEndpoint({
    method: 'POST',
    path: '/v6/images/text2img',
    kind: 'create',
    body: text2imgSchema.transform((i) => ({
      ...commonToWire(i),
      // Sent explicitly with the multi-LoRA page's defaults ("yes"), where the spec and the page disagree (decision 0028).
      safety_checker: yesNo(i.safetyChecker ?? true),
      enhance_prompt: yesNo(i.enhancePrompt ?? true),
      prompt: i.prompt,
      multi_lingual: yesNo(i.multiLingual),
      upscale: yesNo(i.upscale),
      highres_fix: yesNo(i.highresFix),
    })),
    secrets: webhookSecrets,
    response: imageResult,
  }),
  img2img: defineEndpoint({
    method: 'POST',
    path: '/v6/images/img2img',
    kind: 'create',
    body: img2imgSchema.transform((i) => ({
      ...commonToWire(i),
      init_image: i.initImage,
      prompt: i.prompt,
      strength: i.strength,
    })),
    secrets: webhookSecrets,
    response: imageResult,
  }),
  // The form the spec declares (`request_id` in the body); `fetch` is the path form both official SDKs use.
  // Both answer the raw body: the id asked for stands in for a queued answer's missing one (toImageResult).
  fetchByRequestId: defineEndpoint({
    method: 'POST',
    path: '/v6/images/fetch',
    kind: 'read',
    body: z.object({ request_id: id }).strict(),
    response: imageResponseSchema,
  }),
  fetch: defineEndpoint({
    method: 'POST',
    path: '/v6/images/fetch/{id}',
    kind: 'read',
    params: idParams,
    response: imageResponseSchema,
  }),
  loraFineTune: defineEndpoint({
    method: 'POST',
    path: '/v3/lora_fine_tune',
    kind: 'create',
    // Numbers the vendor types as strings (`max_train_steps`, `seed`) are sent as strings.
    body: fineTuneSchema.transform((i) => ({
      instance_prompt: i.instancePrompt,
      class_prompt: i.classPrompt,
      base_model_type: i.baseModelType,
      images: i.images,
      training_type: i.trainingType,
      lora_type: i.loraType,
      max_train_steps: String(i.maxTrainSteps),
      seed: i.seed === undefined ? undefined : String(i.seed),
      negative_prompt: i.negativePrompt,
      webhook: i.webhook,
    })),
    secrets: webhookSecrets,
    response: v3ResponseSchema
      .extend({ training_id: z.union([z.number(), z.string()]).transform(String) })
      .transform((r) => ({ trainingId: r.training_id, message: r.message ?? r.messege })),
  }),
  fineTuneStatus: defineEndpoint({
    method: 'POST',
    path: '/v3/fine_tune_status/{id}',
    kind: 'read',
    params: idParams,
    response: v3ResponseSchema.transform((r, ctx) => {
      const stage = r.messege ?? r.message ?? r.training_status ?? r.model_training_status;
      if (!stage) {
        ctx.addIssue({
          code: 'invalid_type',
          expected: 'string',
          input: undefined,
          path: ['messege'],
          message: 'the training stage is missing',
        });
        return z.NEVER;
      }
      return { stage, data: r.data };
    }),
  }),
  cancelTraining: cancelAt('/v3/cancel_training/{id}'),
  // The docs page's spelling of the same call.
  cancleTraining: cancelAt('/v3/cancle_training/{id}'),
  // The spec serves the public list from the v4 dreambooth root; the answer is a bare array.
  publicModelList: defineEndpoint({
    method: 'POST',
    path: '/v4/dreambooth/model_list',
    kind: 'read',
    // One malformed row costs that row, not the catalogue: it is counted, never quoted (a row may hold anything).
    response: z.array(z.unknown()).transform((rows): ModelsLabPublicModelList => {
      const models: ModelsLabPublicModel[] = [];
      for (const row of rows) {
        const r = publicModelSchema.safeParse(row);
        if (!r.success) continue;
        models.push({
          id: r.data.model_id,
          name: r.data.model_name || r.data.model_id,
          status: r.data.status ?? undefined,
          description: r.data.description ?? undefined,
          instancePrompt: r.data.instance_prompt ?? undefined,
          screenshot: r.data.screenshots || undefined,
        });
      }
      return { models, skipped: rows.length - models.length };
    }),
  }),
  finetuneList: defineEndpoint({
    method: 'POST',
    path: '/v3/finetune_list',
    kind: 'read',
    response: v3ResponseSchema
      .extend({
        data: z
          .array(z.union([z.string(), z.number(), z.looseObject({}).transform((o) => JSON.stringify(o))]))
          .nullish()
          .transform((v) => (v ?? []).map(String)),
      })
      .transform((r) => r.data),
  }),
  base64Crop: defineEndpoint({
    method: 'POST',
    path: '/v3/base64_crop',
    kind: 'create',
    body: cropSchema.transform((i) => ({
      image: i.image,
      crop: i.crop === undefined ? undefined : String(i.crop),
    })),
    response: v3ResponseSchema.extend({ link: z.string() }).transform((r) => r.link),
  }),
} as const;
