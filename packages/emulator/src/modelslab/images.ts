import { z } from 'zod';
import { MODELSLAB_BASE_MODELS } from '../catalogue';
import type { ImageSpec } from '../image';
import { renderPng } from '../image';
import { decodeInputImage, fitSize, InputImageError } from '../input-image';
import { hashString } from '../random';
import { resource } from '../route-kit';
import { json } from '../vendor-errors';
import { type C, flag, type ModelsLabApi, numeric, ranged, refuse, VendorError, v6Error } from './http';
import { readInitImage } from './init-image';
import type { GenerationRecord } from './state';

const size = (name: string) =>
  ranged(name, 256, 1024).refine((v) => v % 8 === 0, { message: `${name} must be divisible by 8` });

const NUMBER_TEXT = /^-?\d+(\.\d+)?$/;
/** `lora_strength`: one number, or comma-separated numbers as the vendor's examples send, each 0.1..1. */
const strengths = z
  .union([z.number(), z.string(), z.null()])
  .transform((v) =>
    v === null || v === ''
      ? []
      : String(v)
          .split(',')
          .map((s) => s.trim()),
  )
  .refine((list) => list.every((s) => NUMBER_TEXT.test(s)), {
    message: 'lora_strength must be a number or comma-separated numbers',
  })
  .transform((list) => list.map(Number))
  .refine((list) => list.every((n) => n >= 0.1 && n <= 1), {
    message: 'lora_strength must be between 0.1 and 1',
  });

/** The fields text2img and img2img share (the spec's `CommonImageGenerationParams`). */
const common = {
  key: z.string().optional(),
  model_id: z.string({ error: 'model_id is required' }).min(1, 'model_id is required'),
  negative_prompt: z.string().nullish(),
  width: size('width').optional(),
  height: size('height').optional(),
  samples: ranged('samples', 1, 4).optional(),
  num_inference_steps: ranged('num_inference_steps', 1, 50).optional(),
  guidance_scale: ranged('guidance_scale', 1, 20, false).optional(),
  seed: z.union([numeric('seed'), z.null()]).optional(),
  scheduler: z.string().optional(),
  clip_skip: ranged('clip_skip', 1, 8).optional(),
  lora_model: z.union([z.string(), z.null()]).optional(),
  lora_strength: strengths.optional(),
  safety_checker: flag('safety_checker').optional(),
  enhance_prompt: flag('enhance_prompt').optional(),
  multi_lingual: flag('multi_lingual').optional(),
  upscale: flag('upscale').optional(),
  panorama: flag('panorama').optional(),
  self_attention: flag('self_attention').optional(),
  use_karras_sigmas: flag('use_karras_sigmas').optional(),
  base64: flag('base64').optional(),
  temp: flag('temp').optional(),
  webhook: z.string().nullish(),
  track_id: z.union([z.string(), z.number()]).nullish(),
};

const promptError = (i: { input: unknown }) =>
  i.input === undefined ? 'prompt is required' : 'prompt must be a string';

const text2imgSchema = z
  .object({ ...common, prompt: z.string({ error: promptError }).min(1, 'prompt is required') })
  .loose();

// The spec requires `init_image` but not `prompt` here; `strength` 1 erases the initial image.
const img2imgSchema = z
  .object({
    ...common,
    prompt: z.string({ error: 'prompt must be a string' }).optional(),
    init_image: z.string({ error: 'init_image is required' }).min(1, 'init_image is required'),
    strength: ranged('strength', 0, 1, false).optional(),
  })
  .loose();

type CommonInput = z.infer<typeof text2imgSchema> | z.infer<typeof img2imgSchema>;

/** ModelsLab's img2img default strength when none is sent (the spec gives no default; Scenario's is 0.7). */
export const IMG2IMG_STRENGTH = 0.7;

/** The request's LoRAs with their strengths, refused as the vendor words it. */
function checkLoras(api: ModelsLabApi, input: CommonInput): Array<{ id: string; strength: number }> {
  const family = MODELSLAB_BASE_MODELS[input.model_id];
  if (family === undefined) refuse(`Model not found: ${input.model_id}`);
  const loraIds = (input.lora_model ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const values = input.lora_strength ?? [];
  if (loraIds.length === 0 && values.length > 0) refuse('lora_strength was given without lora_model');
  if (values.length > 1 && values.length !== loraIds.length) {
    refuse('lora_strength must have one value per lora_model, or a single value for all');
  }
  const known = api.readyLoras(input.key as string);
  for (const id of loraIds) {
    const loraFamily = known.get(id);
    if (loraFamily === undefined) refuse(`Model not found: ${id}`);
    if (loraFamily !== family) refuse(`LoRA ${id} is not compatible with model ${input.model_id}`);
  }
  return loraIds.map((lora, i) => ({ id: lora, strength: values[i] ?? values[0] ?? 1 }));
}

// The multi-LoRA page lists 21, 31 or 41 steps; the FLUX spec takes 1..50 for `flux` (decision 0028).
const DOCUMENTED_STEPS = [21, 31, 41];

/** Refuses inference steps the documents do not allow for the model, as the vendor words a range. */
function checkSteps(input: CommonInput): void {
  const steps = input.num_inference_steps;
  if (steps === undefined || MODELSLAB_BASE_MODELS[input.model_id] === 'flux') return;
  if (!DOCUMENTED_STEPS.includes(steps)) refuse('num_inference_steps must be one of 21, 31 or 41');
}

/** Refuses past the key's queue limit with HTTP 429 and a `retry_after` body field, as documented. */
function checkQueue(api: ModelsLabApi, key: string): void {
  const t = api.now();
  const queued = [...api.state.generations.values()].filter((g) => g.key === key && g.readyAt > t);
  const limit = api.core.timings.modelslabQueueLimit;
  if (queued.length < limit) return;
  const soonest = Math.min(...queued.map((g) => g.readyAt));
  throw new VendorError(
    v6Error(`Rate limit exceeded. Maximum ${limit} queued requests allowed.`, 429, {
      retry_after: Math.max(1, Math.ceil((soonest - t) / 1000)),
    }),
    'queue full',
  );
}

interface MetaFacts {
  prompt: string;
  width: number;
  height: number;
  seed: number;
  uuid: string;
  loras: Array<{ id: string; strength: number }>;
}

/** The normalised echo of a request the vendor returns as `meta` (numbers for sizes, "yes"/"no" flags). */
function metaOf(input: CommonInput, o: MetaFacts): Record<string, unknown> {
  const yes = (v: boolean | undefined, fallback: boolean) => ((v ?? fallback) ? 'yes' : 'no');
  const some = o.loras.length > 0;
  return {
    prompt: o.prompt,
    model_id: input.model_id,
    negative_prompt: input.negative_prompt ?? '',
    scheduler: input.scheduler ?? 'UniPCMultistepScheduler',
    safety_checker: yes(input.safety_checker, true),
    W: o.width,
    H: o.height,
    guidance_scale: input.guidance_scale ?? 7.5,
    seed: o.seed,
    steps: input.num_inference_steps ?? 31,
    enhance_prompt: yes(input.enhance_prompt, true),
    n_samples: input.samples ?? 1,
    full_url: 'no',
    tomesd: 'yes',
    upscale: yes(input.upscale, false),
    multi_lingual: yes(input.multi_lingual, false),
    panorama: yes(input.panorama, false),
    self_attention: yes(input.self_attention, false),
    use_karras_sigmas: yes(input.use_karras_sigmas, false),
    embeddings: null,
    vae: null,
    lora: some ? o.loras.map((l) => l.id).join(',') : null,
    lora_strength: some ? o.loras.map((l) => String(l.strength)).join(',') : null,
    clip_skip: input.clip_skip ?? 2,
    temp: yes(input.temp, false),
    base64: yes(input.base64, false),
    file_prefix: `${o.uuid}.png`,
  };
}

/** What a queued generation renders: the prompt, size, LoRAs and (img2img) the initial image. */
interface Order {
  input: CommonInput;
  prompt: string;
  width: number;
  height: number;
  loras: Array<{ id: string; strength: number }>;
  init?: NonNullable<ImageSpec['init']>;
  meta?: Record<string, unknown>;
}

/** Queues a generation: files appear at `readyAt`, a webhook (if any) is called then. */
function enqueue(c: C, api: ModelsLabApi, order: Order): Response {
  const { input, loras } = order;
  checkQueue(api, input.key as string);
  const t = api.now();
  const id = api.state.nextId++;
  const seed =
    input.seed === undefined || input.seed === null
      ? hashString(String(id), api.core.seed) % 4294967295
      : input.seed;
  const prefix = [...api.core.id('', 32)].map((ch) => (ch.charCodeAt(0) % 16).toString(16)).join('');
  const uuid = `${prefix.slice(0, 8)}-${prefix.slice(8, 12)}-${prefix.slice(12, 16)}-${prefix.slice(16, 20)}-${prefix.slice(20, 32)}`;
  const readyAt = t + api.core.timings.modelslabEtaMs;
  const files: string[] = [];
  const { prompt, width, height, init } = order;
  for (let index = 0; index < (input.samples ?? 1); index++) {
    const path = `modelslab/generations/${index}-${uuid}.png`;
    api.core.files.put(path, {
      mime: 'image/png',
      availableAt: readyAt,
      signed: false,
      bytes: () => renderPng({ prompt, seed, width, height, loras, index, ...(init ? { init } : {}) }),
    });
    files.push(path);
  }
  const meta = { ...metaOf(input, { prompt, width, height, seed, uuid, loras }), ...order.meta };
  const record: GenerationRecord = { id, key: input.key as string, createdAt: t, readyAt, meta, files };
  if (api.core.quirks.failedGenerations > 0 && api.core.quirks.failedGenerations-- > 0) record.failed = true;
  api.state.generations.set(id, record);
  c.env.info.modelId = String(id);
  if (input.webhook) {
    // The vendor posts the finished result, with the caller's track_id, to the webhook.
    const trackId = input.track_id ?? null;
    api.core.webhooks.schedule(input.webhook, readyAt, () => ({
      ...api.generationView(record, readyAt),
      track_id: trackId,
    }));
  }
  return json(api.generationView(record, t));
}

async function img2img(c: C, api: ModelsLabApi) {
  const body = await api.authed(c, 'v6');
  const input = api.check(img2imgSchema, body, 'v6');
  const loras = checkLoras(api, input);
  const bytes = await readInitImage(c, api, input.init_image, input.base64 === true);
  let image: ReturnType<typeof decodeInputImage>;
  try {
    image = decodeInputImage(bytes, 'init_image');
  } catch (error) {
    if (error instanceof InputImageError) refuse(error.message);
    throw error;
  }
  // "The dimensions of the generated image will be the same as the dimensions of the initial image."
  const { width, height } = fitSize(image.width, image.height, { min: 8, max: 1024, multiple: 8 });
  const strength = input.strength ?? IMG2IMG_STRENGTH;
  const echo = input.init_image.startsWith('data:') ? `${input.init_image.slice(0, 40)}…` : input.init_image;
  return enqueue(c, api, {
    input,
    prompt: input.prompt ?? '',
    width,
    height,
    loras,
    init: { image, strength },
    meta: { init_image: echo, strength },
  });
}

function fetchGeneration(c: C, api: ModelsLabApi, key: string, rawId: unknown) {
  const id =
    typeof rawId === 'number' ? rawId : /^\d+$/.test(String(rawId ?? '')) ? Number(rawId) : Number.NaN;
  if (Number.isNaN(id)) throw new VendorError(v6Error('request_id is required', 400), 'missing id');
  c.env.info.modelId = String(id);
  const record = api.state.generations.get(id);
  if (!record || record.key !== key)
    throw new VendorError(v6Error(`Request not found: ${id}`, 404), 'not found');
  return json(api.generationView(record, api.now()));
}

/** v6 images: text2img, img2img, and fetching a queued result by path or by `request_id`. */
export const images = resource<ModelsLabApi>('modelslab')
  .post('text2img', '/v6/images/text2img', async (c, api) => {
    const input = api.check(text2imgSchema, await api.authed(c, 'v6'), 'v6');
    const loras = checkLoras(api, input);
    checkSteps(input);
    const width = input.width ?? 512;
    const height = input.height ?? 512;
    return enqueue(c, api, { input, prompt: input.prompt, width, height, loras });
  })
  .post('img2img', '/v6/images/img2img', img2img)
  // Both documented forms: the id in the path (what the SDKs use) or as `request_id` in the body.
  .post('fetch', ['/v6/images/fetch/:id', '/v6/images/fetch'], async (c, api) => {
    const body = await api.authed(c, 'v6');
    return fetchGeneration(c, api, body.key, c.req.param('id') ?? body.request_id);
  });
