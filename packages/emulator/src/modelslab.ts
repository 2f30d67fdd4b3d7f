import { type Context, Hono } from 'hono';
import { z } from 'zod';
import { MODELSLAB_BASE_MODELS, MODELSLAB_PUBLIC_LORAS, type ModelsLabFamily } from './catalogue';
import type { Core, Env } from './context';
import { renderPng } from './image';
import { hashString } from './random';
import { json, readJson } from './vendor-errors';

type C = Context<Env>;

/**
 * The v3 training stages in order (`messege` of `fine_tune_status`); `model_ready` is terminal.
 *
 * @example
 * TRAINING_STAGES.at(-1); // 'model_ready'
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

// Where each stage starts, as a fraction of the whole training; training itself is most of it.
const STAGE_STARTS = [0, 0.1, 0.7, 0.75, 0.8, 0.85, 0.88, 1];

interface GenerationRecord {
  id: number;
  key: string;
  createdAt: number;
  readyAt: number;
  meta: Record<string, unknown>;
  files: string[];
}

interface TrainingRecord {
  id: string;
  key: string;
  createdAt: number;
  endsAt: number;
  family: ModelsLabFamily;
  steps: number;
  failsAt?: number;
  canceledAt?: number;
  deleted?: boolean;
}

/** What the ModelsLab emulator holds. */
export interface ModelsLabState {
  generations: Map<number, GenerationRecord>;
  trainings: Map<string, TrainingRecord>;
  nextId: number;
}

/** Creates empty ModelsLab state; request ids are integers, as the vendor's are. */
export function createModelsLabState(seed: number): ModelsLabState {
  return {
    generations: new Map(),
    trainings: new Map(),
    nextId: 29763508 + (hashString('modelslab', seed) % 100000),
  };
}

/** A v6-style error (`message`) or a v3-style one (`messege`, the vendor's spelling on legacy routes). */
const v6Error = (message: string, status = 200, extra: Record<string, unknown> = {}) =>
  json({ status: 'error', message, ...extra }, status);
const v3Error = (messege: string, status = 200) => json({ status: 'error', messege }, status);

class VendorError extends Error {
  constructor(
    readonly response: Response,
    message: string,
  ) {
    super(message);
  }
}

// Lenient coercion as the vendor's own examples send: numbers as numbers or numeric strings, flags as
// booleans or "yes"/"no"/"true"/"false".
const numeric = (name: string) =>
  z.union(
    [
      z.number(),
      z
        .string()
        .trim()
        .regex(/^-?\d+(\.\d+)?$/)
        .transform(Number),
    ],
    {
      error: `${name} must be a number`,
    },
  );
const flag = (name: string) =>
  z
    .union([z.boolean(), z.enum(['yes', 'no', 'true', 'false', 'YES', 'NO'])], {
      error: `${name} must be "yes" or "no"`,
    })
    .transform((v) => v === true || v === 'yes' || v === 'true' || v === 'YES');

/** A number field with the vendor's range message (`width must be between 256 and 1024`). */
const ranged = (name: string, min: number, max: number, integer = true) =>
  numeric(name).refine((v) => (!integer || Number.isInteger(v)) && v >= min && v <= max, {
    message: `${name} must be between ${min} and ${max}`,
  });
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

const text2imgSchema = z
  .object({
    key: z.string().optional(),
    model_id: z.string({ error: 'model_id is required' }).min(1, 'model_id is required'),
    prompt: z
      .string({ error: (i) => (i.input === undefined ? 'prompt is required' : 'prompt must be a string') })
      .min(1, 'prompt is required'),
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
  })
  .loose();

const trainingSchema = z
  .object({
    key: z.string().optional(),
    instance_prompt: z.string({ error: 'instance_prompt is required' }).min(1, 'instance_prompt is required'),
    class_prompt: z.string({ error: 'class_prompt is required' }).min(1, 'class_prompt is required'),
    base_model_type: z
      .enum(['normal', 'sdxl'], { error: 'base_model_type must be "normal" or "sdxl"' })
      .optional(),
    images: z
      .array(z.string().regex(/^https?:\/\/\S+$/, 'images must be public image URLs'), {
        error: 'images must be an array of image URLs',
      })
      .min(1, 'images must contain at least one image URL'),
    training_type: z.enum(['men', 'women', 'female', 'couple', 'null'], {
      error: 'training_type must be one of men, women, couple, null',
    }),
    lora_type: z.enum(['lora', 'lycoris'], { error: 'lora_type must be "lora" or "lycoris"' }).optional(),
    max_train_steps: ranged('max_train_steps', 10, 50),
    seed: numeric('seed').optional(),
    negative_prompt: z.string().nullish(),
    wandb_key: z.string().nullish(),
    webhook: z.string().nullish(),
  })
  .loose();

const cropSchema = z
  .object({
    key: z.string().optional(),
    image: z
      .string({ error: 'image is required' })
      .regex(/^data:image\/(png|jpeg|jpg|webp);base64,[A-Za-z0-9+/=\s]+$/, 'image must be a base64 data URL'),
    crop: z.union([z.boolean(), z.enum(['true', 'false'])]).optional(),
  })
  .loose();

/** Options of the ModelsLab routes. */
export interface ModelsLabRoutesOptions {
  keys: () => string[];
}

/**
 * The ModelsLab API subset as a hono app, mounted under `/modelslab/api`.
 *
 * @example
 * const app = createModelsLabRoutes(core, createModelsLabState(1), { keys: () => ['my-key'] });
 */
export function createModelsLabRoutes(
  core: Core,
  state: ModelsLabState,
  options: ModelsLabRoutesOptions,
): Hono<Env> {
  const app = new Hono<Env>();
  const now = () => core.clock.now();
  const url = (path: string) => `${core.publicUrl()}/modelslab/api/${path}`;

  app.onError((error) => {
    if (error instanceof VendorError) return error.response;
    return v6Error('Internal server error', 500);
  });

  /** Parses the body and checks `key`; v3 routes answer with `messege`. */
  const authed = async (c: C, style: 'v6' | 'v3'): Promise<Record<string, unknown>> => {
    const fail = style === 'v6' ? v6Error : v3Error;
    let body: unknown;
    try {
      body = await readJson(c.req.raw);
    } catch {
      throw new VendorError(fail('Invalid JSON body', 400), 'invalid json');
    }
    const record =
      typeof body === 'object' && body !== null && !Array.isArray(body)
        ? (body as Record<string, unknown>)
        : {};
    if (typeof record.key !== 'string' || !options.keys().includes(record.key)) {
      c.env.info.route = 'modelslab.unauthorized';
      throw new VendorError(fail('Invalid API key', 401), 'unauthorized');
    }
    return record;
  };

  const check = <T>(schema: z.ZodType<T>, value: unknown, style: 'v6' | 'v3'): T => {
    const result = schema.safeParse(value);
    if (!result.success) {
      const message = result.error.issues[0]?.message ?? 'Invalid request';
      throw new VendorError(style === 'v6' ? v6Error(message) : v3Error(message), message);
    }
    return result.data;
  };

  const readyLoras = (key: string): Map<string, ModelsLabFamily> => {
    const t = now();
    const out = new Map<string, ModelsLabFamily>(Object.entries(MODELSLAB_PUBLIC_LORAS));
    for (const tr of state.trainings.values()) {
      if (tr.key === key && trainingOutcome(tr, t).stage === 'model_ready') out.set(tr.id, tr.family);
    }
    return out;
  };

  const generationView = (g: GenerationRecord, t: number): Record<string, unknown> => {
    const links = g.files.map((f) => core.files.url(f, t));
    if (t >= g.readyAt) {
      return {
        status: 'success',
        generationTime: Math.round((g.readyAt - g.createdAt) / 10) / 100,
        id: g.id,
        output: links,
        proxy_links: links,
        nsfw_content_detected: false,
        webhook_status: '',
        meta: g.meta,
      };
    }
    return {
      status: 'processing',
      tip: 'Your image is processing in background, you can get this image using fetch API',
      eta: Math.round((g.readyAt - t) / 10) / 100,
      message: 'Try to fetch request after seconds estimated',
      webhook_status: '',
      fetch_result: url(`v6/images/fetch/${g.id}`),
      id: g.id,
      output: [],
      meta: g.meta,
      future_links: links,
    };
  };

  app.post('/v6/images/text2img', async (c) => {
    c.env.info.route = 'modelslab.text2img';
    const body = await authed(c, 'v6');
    const input = check(text2imgSchema, body, 'v6');
    const fail = (message: string): never => {
      throw new VendorError(v6Error(message), message);
    };
    const family = MODELSLAB_BASE_MODELS[input.model_id];
    if (family === undefined) fail(`Model not found: ${input.model_id}`);
    const width = input.width ?? 512;
    const height = input.height ?? 512;
    const samples = input.samples ?? 1;
    const steps = input.num_inference_steps ?? 31;
    const guidance = input.guidance_scale ?? 7.5;
    const clipSkip = input.clip_skip ?? 2;
    const loraIds = (input.lora_model ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const strengths = input.lora_strength ?? [];
    if (loraIds.length === 0 && strengths.length > 0) fail('lora_strength was given without lora_model');
    if (strengths.length > 1 && strengths.length !== loraIds.length) {
      fail('lora_strength must have one value per lora_model, or a single value for all');
    }
    const known = readyLoras(input.key as string);
    for (const id of loraIds) {
      const loraFamily = known.get(id);
      if (loraFamily === undefined) fail(`Model not found: ${id}`);
      if (loraFamily !== family) fail(`LoRA ${id} is not compatible with model ${input.model_id}`);
    }
    const t = now();
    const queued = [...state.generations.values()].filter((g) => g.key === input.key && g.readyAt > t);
    if (queued.length >= core.timings.modelslabQueueLimit) {
      const soonest = Math.min(...queued.map((g) => g.readyAt));
      const limit = core.timings.modelslabQueueLimit;
      throw new VendorError(
        v6Error(`Rate limit exceeded. Maximum ${limit} queued requests allowed.`, 429, {
          retry_after: Math.max(1, Math.ceil((soonest - t) / 1000)),
        }),
        'queue full',
      );
    }
    const id = state.nextId++;
    const seed =
      input.seed === undefined || input.seed === null
        ? hashString(String(id), core.seed) % 4294967295
        : input.seed;
    const loras = loraIds.map((lora, i) => ({ id: lora, strength: strengths[i] ?? strengths[0] ?? 1 }));
    const prefix = [...core.id('', 32)].map((ch) => (ch.charCodeAt(0) % 16).toString(16)).join('');
    const uuid = `${prefix.slice(0, 8)}-${prefix.slice(8, 12)}-${prefix.slice(12, 16)}-${prefix.slice(16, 20)}-${prefix.slice(20, 32)}`;
    const readyAt = t + core.timings.modelslabEtaMs;
    const files: string[] = [];
    for (let index = 0; index < samples; index++) {
      const path = `modelslab/generations/${index}-${uuid}.png`;
      core.files.put(path, {
        mime: 'image/png',
        availableAt: readyAt,
        signed: false,
        bytes: () => renderPng({ prompt: input.prompt, seed, width, height, loras, index }),
      });
      files.push(path);
    }
    const yes = (v: boolean | undefined, fallback: boolean) => ((v ?? fallback) ? 'yes' : 'no');
    const meta: Record<string, unknown> = {
      prompt: input.prompt,
      model_id: input.model_id,
      negative_prompt: input.negative_prompt ?? '',
      scheduler: input.scheduler ?? 'UniPCMultistepScheduler',
      safety_checker: yes(input.safety_checker, false),
      W: width,
      H: height,
      guidance_scale: guidance,
      seed,
      steps,
      n_samples: samples,
      full_url: 'no',
      tomesd: 'yes',
      upscale: yes(input.upscale, false),
      multi_lingual: yes(input.multi_lingual, false),
      panorama: yes(input.panorama, false),
      self_attention: yes(input.self_attention, false),
      use_karras_sigmas: yes(input.use_karras_sigmas, false),
      embeddings: null,
      vae: null,
      lora: loraIds.length > 0 ? loraIds.join(',') : null,
      lora_strength: loraIds.length > 0 ? loras.map((l) => String(l.strength)).join(',') : null,
      clip_skip: clipSkip,
      temp: yes(input.temp, false),
      base64: yes(input.base64, false),
      file_prefix: `${uuid}.png`,
    };
    const record: GenerationRecord = { id, key: input.key as string, createdAt: t, readyAt, meta, files };
    state.generations.set(id, record);
    c.env.info.modelId = String(id);
    if (input.webhook) {
      // The vendor posts the finished result, with the caller's track_id, to the webhook.
      const trackId = input.track_id ?? null;
      core.webhooks.schedule(input.webhook, readyAt, () => ({
        ...generationView(record, readyAt),
        track_id: trackId,
      }));
    }
    return json(generationView(record, t));
  });

  const fetchGeneration = (c: C, key: string, rawId: unknown) => {
    const id =
      typeof rawId === 'number' ? rawId : /^\d+$/.test(String(rawId ?? '')) ? Number(rawId) : Number.NaN;
    if (Number.isNaN(id)) throw new VendorError(v6Error('request_id is required', 400), 'missing id');
    c.env.info.modelId = String(id);
    const record = state.generations.get(id);
    if (!record || record.key !== key)
      throw new VendorError(v6Error(`Request not found: ${id}`, 404), 'not found');
    return json(generationView(record, now()));
  };

  app.post('/v6/images/fetch/:id', async (c) => {
    c.env.info.route = 'modelslab.fetch';
    const body = await authed(c, 'v6');
    return fetchGeneration(c, body.key as string, c.req.param('id'));
  });

  app.post('/v6/images/fetch', async (c) => {
    c.env.info.route = 'modelslab.fetch';
    const body = await authed(c, 'v6');
    return fetchGeneration(c, body.key as string, body.request_id);
  });

  app.post('/v3/lora_fine_tune', async (c) => {
    c.env.info.route = 'modelslab.training.create';
    const body = await authed(c, 'v3');
    const input = check(trainingSchema, body, 'v3');
    const steps = input.max_train_steps;
    const t = now();
    const id = core.id('', 10);
    const duration = core.timings.modelslabTrainingMs;
    const record: TrainingRecord = {
      id,
      key: input.key as string,
      createdAt: t,
      endsAt: t + duration,
      family: input.base_model_type === 'normal' ? 'sd15' : 'sdxl',
      steps,
    };
    if (`${input.instance_prompt} ${input.class_prompt}`.toLowerCase().includes('fail-training')) {
      record.failsAt = t + Math.round(duration * 0.4);
    }
    state.trainings.set(id, record);
    c.env.info.modelId = id;
    if (input.webhook) {
      const hook = input.webhook;
      TRAINING_STAGES.forEach((stage, i) => {
        const at = t + Math.round((STAGE_STARTS[i] as number) * duration);
        // A stage the training never reaches (canceled, failed, deleted) is never announced.
        core.webhooks.schedule(hook, at, () => {
          const outcome = trainingOutcome(record, at);
          if (record.deleted || outcome.error !== undefined || outcome.stage !== stage) return undefined;
          return { status: 'success', training_status: stage, logs: outcome.log, model_id: record.id };
        });
      });
    }
    return json({
      status: 'success',
      messege: 'deploying_gpu',
      data: 'it will take upto 30 minutes.',
      training_id: id,
    });
  });

  const training = (c: C, key: string): TrainingRecord => {
    const id = c.req.param('id') ?? '';
    c.env.info.modelId = id;
    const record = state.trainings.get(id);
    if (!record || record.key !== key || record.deleted) {
      throw new VendorError(v3Error(`Training not found: ${id}`, 404), 'not found');
    }
    return record;
  };

  app.post('/v3/fine_tune_status/:id', async (c) => {
    c.env.info.route = 'modelslab.training.status';
    const body = await authed(c, 'v3');
    const record = training(c, body.key as string);
    const outcome = trainingOutcome(record, now());
    if (outcome.error !== undefined) return v3Error(outcome.error);
    return json({ status: 'success', messege: outcome.stage, data: outcome.log });
  });

  const cancel = async (c: C) => {
    c.env.info.route = 'modelslab.training.cancel';
    const body = await authed(c, 'v3');
    const record = training(c, body.key as string);
    const t = now();
    const outcome = trainingOutcome(record, t);
    if (outcome.error !== undefined || outcome.stage === 'model_ready') {
      return v3Error(`Training ${record.id} has already finished`);
    }
    record.canceledAt = t;
    return json({ status: 'success', messege: 'training canceled', data: '' });
  };
  app.post('/v3/cancel_training/:id', cancel);
  // The vendor's docs page spells the path this way; both are accepted.
  app.post('/v3/cancle_training/:id', cancel);

  const remove = async (c: C) => {
    c.env.info.route = 'modelslab.training.delete';
    const body = await authed(c, 'v3');
    const record = training(c, body.key as string);
    record.deleted = true;
    return json({ status: 'success', messege: 'model deleted', data: '' });
  };
  app.post('/v3/delete/:id', remove);
  app.post('/v3/finetune/delete/:id', remove);

  app.post('/v3/finetune_list', async (c) => {
    c.env.info.route = 'modelslab.training.list';
    const body = await authed(c, 'v3');
    const t = now();
    const ready = [...state.trainings.values()].filter(
      (r) => r.key === body.key && !r.deleted && trainingOutcome(r, t).stage === 'model_ready',
    );
    return json({ status: 'success', messege: 'model list', data: ready.map((r) => r.id) });
  });

  app.post('/v3/base64_crop', async (c) => {
    c.env.info.route = 'modelslab.base64Crop';
    const body = await authed(c, 'v3');
    const input = check(cropSchema, body, 'v3');
    let bytes: Uint8Array;
    try {
      const b64 = input.image.slice(input.image.indexOf(',') + 1).replace(/\s/g, '');
      bytes = Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));
    } catch {
      return v3Error('image must be a base64 data URL');
    }
    if (bytes.length === 0 || bytes.length > 20 * 1024 * 1024)
      return v3Error('image must be between 1 byte and 20 MB');
    const path = `modelslab/uploads/${core.id('', 20)}.png`;
    core.files.put(path, { mime: 'image/png', availableAt: now(), signed: false, bytes: () => bytes });
    return json({ status: 'success', messege: 'image uploaded', link: core.files.url(path, now()) });
  });

  app.notFound((c) => {
    c.env.info.route = 'modelslab.unknown';
    return v6Error(`Route ${c.req.method} ${new URL(c.req.url).pathname} not found`, 404);
  });

  return app;
}

/** Where a v3 training stands at `t`: its stage and log, or the error a status call reports. */
export function trainingOutcome(
  record: Pick<TrainingRecord, 'createdAt' | 'endsAt' | 'failsAt' | 'canceledAt' | 'steps'>,
  t: number,
): { stage: (typeof TRAINING_STAGES)[number]; log: string; error?: string } {
  const duration = record.endsAt - record.createdAt;
  const stopAt = Math.min(record.canceledAt ?? Infinity, record.failsAt ?? Infinity);
  const at = Math.min(t, stopAt);
  const fraction = duration <= 0 ? 1 : Math.min(1, (at - record.createdAt) / duration);
  let index = 0;
  for (let i = 0; i < STAGE_STARTS.length; i++) if (fraction >= (STAGE_STARTS[i] as number)) index = i;
  const stage = TRAINING_STAGES[index] as (typeof TRAINING_STAGES)[number];
  const trainFraction = Math.max(0, Math.min(1, (fraction - 0.1) / 0.6));
  const step = Math.round(trainFraction * record.steps);
  const minutes = Math.max(0, Math.ceil((record.endsAt - at) / 60_000));
  const log = [
    `stage: ${stage}`,
    `steps: ${step}/${record.steps}`,
    stage === 'model_ready' ? 'ETA: done' : `ETA: about ${minutes} minute${minutes === 1 ? '' : 's'}`,
  ].join('\n');
  if (record.canceledAt !== undefined && record.canceledAt <= t) {
    return { stage, log, error: 'Training was canceled' };
  }
  if (record.failsAt !== undefined && record.failsAt <= t) {
    return { stage, log, error: 'Training failed: the loss diverged (the prompt is marked "fail-training")' };
  }
  return { stage, log };
}

/** Fails a v3 training now (the control API's cue). Returns false when there is no such active training. */
export function failModelsLabTraining(state: ModelsLabState, id: string, t: number): boolean {
  const record = state.trainings.get(id);
  if (!record || trainingOutcome(record, t).error !== undefined || t >= record.endsAt) return false;
  record.failsAt = t;
  return true;
}
