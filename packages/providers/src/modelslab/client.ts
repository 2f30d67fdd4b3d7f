import { z } from 'zod';
import { modelsLabBodyError, ProviderError, ProviderResponseError, vendorReason } from '../errors';
import {
  type HttpConfig,
  type HttpRequest,
  parseRequest,
  parseResponse,
  type RequestKind,
  send,
} from '../http';
import {
  buildUrl,
  type CallOptions,
  type CommonClientOptions,
  callOptionsSchema,
  commonOptionsShape,
  httpConfig,
} from '../options';
import { createRedactor, type Redactor } from '../redact';
import type { Download } from '../scenario/client';
import {
  imageResponseSchema,
  type ModelsLabImageResult,
  type ModelsLabTrainingStatus,
  TRAINING_STAGES,
  v3ResponseSchema,
} from './schemas';

/**
 * The public ModelsLab API root (v6 and v3 paths hang below it).
 *
 * @example
 * new ModelsLabClient({ apiKey, baseUrl: MODELSLAB_BASE_URL });
 */
export const MODELSLAB_BASE_URL = 'https://modelslab.com/api';

/**
 * Options of {@link ModelsLabClient}.
 *
 * @example
 * const options: ModelsLabClientOptions = { apiKey: process.env.MODELSLAB_API_KEY!, timeoutMs: 30_000 };
 */
export interface ModelsLabClientOptions extends CommonClientOptions {
  /** The API key, sent as `key` in every JSON body. */
  apiKey: string;
}

const optionsSchema = z
  .object({ ...commonOptionsShape, apiKey: z.string().min(1, 'apiKey is required') })
  .strict();

const id = z.string().min(1).max(200);
const size = z.number().int().min(256).max(1024, 'must be at most 1024').multipleOf(8);

const text2imgSchema = z
  .object({
    modelId: id,
    prompt: z.string().min(1).max(10_000),
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
    multiLingual: z.boolean().optional(),
    upscale: z.boolean().optional(),
    highresFix: z.boolean().optional(),
    useKarrasSigmas: z.boolean().optional(),
    base64: z.boolean().optional(),
    temp: z.boolean().optional(),
    vae: z.string().optional(),
    webhook: z.url().optional(),
    trackId: z.string().optional(),
  })
  .strict();
/**
 * Arguments of {@link ModelsLabClient.text2img}; LoRAs are `{ model, strength }` pairs.
 *
 * @example
 * const input: ModelsLabText2ImgInput = { modelId: 'sdxl', prompt: 'a fox', loras: [{ model: 'add-detail-xl', strength: 0.6 }] };
 */
export type ModelsLabText2ImgInput = z.input<typeof text2imgSchema>;

const fineTuneSchema = z
  .object({
    instancePrompt: z.string().min(1),
    classPrompt: z.string().min(1),
    baseModelType: z.enum(['normal', 'sdxl']).optional(),
    images: z.array(z.url({ protocol: /^https?$/ })).min(1),
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
 * Arguments of {@link ModelsLabClient.loraFineTune} (v3 LoRA training).
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

// A 404 whose body is not a vendor JSON answer means the route itself is not served (the other spelling may be).
function isMissingRoute(e: unknown): boolean {
  return e instanceof ProviderError && e.status === 404 && (typeof e.body !== 'object' || e.body === null);
}

const yesNo = (v: boolean | undefined) => (v === undefined ? undefined : v ? 'yes' : 'no');

function withoutUndefined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

/**
 * A client for ModelsLab's multi-LoRA text2img (v6, with processing → fetch) and v3 LoRA training.
 * The key travels in the JSON body as ModelsLab documents; `status:"error"` answers (even on HTTP 200)
 * become {@link ProviderError}s, and no error ever contains the key.
 *
 * @example
 * const ml = new ModelsLabClient({ apiKey: process.env.MODELSLAB_API_KEY! });
 * const first = await ml.text2img({ modelId: 'sdxl', prompt: 'a lighthouse', loras: [{ model: 'more_details', strength: 0.6 }] });
 * const done = first.status === 'success' ? first : await waitForModelsLabResult({ client: ml, id: first.id, etaMs: first.etaMs });
 */
export class ModelsLabClient {
  readonly #http: HttpConfig;
  readonly #baseUrl: string;
  readonly #key: string;
  readonly #redactor: Redactor;

  constructor(options: ModelsLabClientOptions) {
    const raw = (options ?? {}) as Partial<ModelsLabClientOptions>;
    this.#redactor = createRedactor(typeof raw.apiKey === 'string' ? [raw.apiKey] : []);
    const o = parseRequest(optionsSchema, options, 'modelslab', 'client options', this.#redactor);
    this.#baseUrl = o.baseUrl ?? MODELSLAB_BASE_URL;
    this.#key = o.apiKey;
    this.#http = httpConfig('modelslab', o, options.retry, this.#redactor);
  }

  /**
   * A digest naming the account this client works in, for cache keys (`ScopedService` in
   * @loraflow/core): ModelsLab knows an account only by its key. Computed with the caller's hash;
   * the key itself never leaves.
   *
   * @example
   * const scope = modelslab.cacheScope(sha256Hex);
   */
  cacheScope(hash: (text: string) => string): string {
    return hash(`loraflow.scope/modelslab-key\n${this.#key}`);
  }

  #bodyError = (operation: string) => (body: unknown, status: number, headers: Headers) => {
    if (!body || typeof body !== 'object') return undefined;
    const s = (body as { status?: unknown }).status;
    if (s === 'error')
      return modelsLabBodyError(body, this.#redactor, status, this.#http.now(), operation, headers);
    if (s === 'failed') {
      const reason = vendorReason(this.#redactor.value(body));
      return new ProviderError({
        provider: 'modelslab',
        status,
        code: 'job_failed',
        retryable: false,
        reason,
        body: this.#redactor.value(body),
        message: `ModelsLab reported that ${this.#redactor.text(operation)} failed${reason ? `: ${reason}` : '.'}`,
      });
    }
    return undefined;
  };

  async #post(
    path: string,
    operation: string,
    kind: RequestKind,
    call: CallOptions | undefined,
    json: Record<string, unknown>,
  ) {
    const c = parseRequest(callOptionsSchema, call, 'modelslab', operation, this.#redactor);
    const config = c?.timeoutMs ? { ...this.#http, timeoutMs: c.timeoutMs } : this.#http;
    const req: HttpRequest = {
      method: 'POST',
      url: buildUrl(this.#baseUrl, path),
      operation,
      kind,
      json: { key: this.#key, ...withoutUndefined(json) },
      signal: c?.signal,
      bodyError: this.#bodyError(operation),
    };
    return send(config, req);
  }

  #image(body: unknown, operation: string): ModelsLabImageResult {
    const r = parseResponse(imageResponseSchema, body, 'modelslab', operation, this.#redactor);
    if (r.status === 'success') {
      return {
        status: 'success',
        id: r.id,
        output: r.output.length > 0 ? r.output : r.proxy_links,
        generationTimeS: r.generationTime,
        meta: r.meta,
      };
    }
    // Any other non-error status (`processing`, or one not documented yet) means: ask again later.
    if (r.id === undefined) {
      throw new ProviderResponseError({
        provider: 'modelslab',
        code: 'invalid_response',
        retryable: false,
        issues: [{ path: ['id'], code: 'invalid_type', message: 'a queued answer needs an id to fetch' }],
        body: this.#redactor.value(body),
        message: `ModelsLab answered ${operation} with status "${this.#redactor.text(r.status)}" but no id to fetch the result with.`,
      });
    }
    const eta = Number(r.eta);
    return {
      status: 'processing',
      id: r.id,
      etaMs: Number.isFinite(eta) && eta >= 0 ? Math.round(eta * 1000) : undefined,
      fetchResult: r.fetch_result,
      futureLinks: r.future_links,
      message: r.message ?? r.messege,
    };
  }

  /**
   * Multi-LoRA text-to-image. Sizes and counts are sent as numbers, flags as "yes"/"no", LoRAs as
   * comma-joined `lora_model` / `lora_strength`. Returns `success` or `processing` (then use
   * {@link fetch} or `waitForModelsLabResult`). Not retried once it may have reached the server.
   * @example const r = await ml.text2img({ modelId: 'sdxl', prompt: 'a fox', width: 512, height: 512, loras: [{ model: 'anime', strength: 0.7 }] });
   */
  async text2img(input: ModelsLabText2ImgInput, call?: CallOptions): Promise<ModelsLabImageResult> {
    const op = 'POST /v6/images/text2img';
    const i = parseRequest(text2imgSchema, input, 'modelslab', op, this.#redactor);
    const loras = i.loras ?? [];
    const res = await this.#post('/v6/images/text2img', op, 'create', call, {
      model_id: i.modelId,
      prompt: i.prompt,
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
      multi_lingual: yesNo(i.multiLingual),
      upscale: yesNo(i.upscale),
      highres_fix: yesNo(i.highresFix),
      use_karras_sigmas: yesNo(i.useKarrasSigmas),
      base64: yesNo(i.base64),
      temp: yesNo(i.temp),
      vae: i.vae,
      webhook: i.webhook,
      track_id: i.trackId,
    });
    return this.#image(res.body, op);
  }

  /**
   * Fetches a queued generation by id (`POST /v6/images/fetch/{id}`; falls back to the body form
   * `request_id` when the path form is not found). Safe to repeat, so retried with backoff.
   * @example const r = await ml.fetch('12345');
   */
  async fetch(requestId: string | number, call?: CallOptions): Promise<ModelsLabImageResult> {
    const op = 'POST /v6/images/fetch/{id}';
    const rid = parseRequest(
      z.union([id, z.number().int().min(0).transform(String)]),
      requestId,
      'modelslab',
      op,
      this.#redactor,
    );
    try {
      const res = await this.#post(`/v6/images/fetch/${encodeURIComponent(rid)}`, op, 'read', call, {});
      return this.#image(res.body, op);
    } catch (e) {
      if (!isMissingRoute(e)) throw e;
      const op2 = 'POST /v6/images/fetch';
      const res = await this.#post('/v6/images/fetch', op2, 'read', call, { request_id: rid });
      return this.#image(res.body, op2);
    }
  }

  /**
   * Starts a v3 LoRA training (SD 1.5 / SDXL). Returns the `trainingId` to poll with {@link fineTuneStatus}.
   * Numbers the vendor types as strings (`max_train_steps`, `seed`) are sent as strings.
   * @example const { trainingId } = await ml.loraFineTune({ instancePrompt: 'photo of sks dog', classPrompt: 'photo of a dog', images: urls, trainingType: 'null', maxTrainSteps: 20 });
   */
  async loraFineTune(
    input: ModelsLabFineTuneInput,
    call?: CallOptions,
  ): Promise<{ trainingId: string; message: string | undefined }> {
    const op = 'POST /v3/lora_fine_tune';
    const i = parseRequest(fineTuneSchema, input, 'modelslab', op, this.#redactor);
    const res = await this.#post('/v3/lora_fine_tune', op, 'create', call, {
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
    });
    const r = parseResponse(
      v3ResponseSchema.extend({ training_id: z.union([z.number(), z.string()]).transform(String) }),
      res.body,
      'modelslab',
      op,
      this.#redactor,
    );
    return { trainingId: r.training_id, message: r.message ?? r.messege };
  }

  /**
   * Reads a v3 training's stage (`messege`: `deploying_gpu` … `model_ready`) and its progress log.
   * @example const s = await ml.fineTuneStatus('F5jvdzGnYi'); if (s.done) useLora('F5jvdzGnYi');
   */
  async fineTuneStatus(trainingId: string, call?: CallOptions): Promise<ModelsLabTrainingStatus> {
    const op = 'POST /v3/fine_tune_status/{id}';
    const tid = parseRequest(id, trainingId, 'modelslab', op, this.#redactor);
    const res = await this.#post(`/v3/fine_tune_status/${encodeURIComponent(tid)}`, op, 'read', call, {});
    const r = parseResponse(v3ResponseSchema, res.body, 'modelslab', op, this.#redactor);
    const stage = r.messege ?? r.message ?? r.training_status ?? r.model_training_status;
    if (!stage) {
      throw new ProviderResponseError({
        provider: 'modelslab',
        code: 'invalid_response',
        retryable: false,
        issues: [{ path: ['messege'], code: 'invalid_type', message: 'the training stage is missing' }],
        body: this.#redactor.value(res.body),
        message: `ModelsLab answered ${op} without a training stage (messege).`,
      });
    }
    const stageIndex = (TRAINING_STAGES as readonly string[]).indexOf(stage);
    return {
      stage,
      stageIndex,
      done: stage === 'model_ready',
      log: typeof r.data === 'string' ? this.#redactor.text(r.data) : undefined,
    };
  }

  /**
   * Cancels a v3 training (`cancel_training`, falling back to the docs' `cancle_training` spelling on 404).
   * @example await ml.cancelTraining('F5jvdzGnYi');
   */
  async cancelTraining(trainingId: string, call?: CallOptions): Promise<{ message: string | undefined }> {
    const op = 'POST /v3/cancel_training/{id}';
    const tid = parseRequest(id, trainingId, 'modelslab', op, this.#redactor);
    let body: unknown;
    try {
      body = (await this.#post(`/v3/cancel_training/${encodeURIComponent(tid)}`, op, 'read', call, {})).body;
    } catch (e) {
      if (!isMissingRoute(e)) throw e;
      body = (await this.#post(`/v3/cancle_training/${encodeURIComponent(tid)}`, op, 'read', call, {})).body;
    }
    const r = parseResponse(v3ResponseSchema, body, 'modelslab', op, this.#redactor);
    return { message: r.message ?? r.messege };
  }

  /**
   * Lists the account's trained model ids.
   * @example const ids = await ml.finetuneList();
   */
  async finetuneList(call?: CallOptions): Promise<string[]> {
    const op = 'POST /v3/finetune_list';
    const res = await this.#post('/v3/finetune_list', op, 'read', call, {});
    const r = parseResponse(
      v3ResponseSchema.extend({
        data: z
          .array(z.union([z.string(), z.number(), z.looseObject({}).transform((o) => JSON.stringify(o))]))
          .nullish()
          .transform((v) => (v ?? []).map(String)),
      }),
      res.body,
      'modelslab',
      op,
      this.#redactor,
    );
    return r.data;
  }

  /**
   * Uploads a data-URL image and returns a public URL (what `loraFineTune`'s `images` need).
   * @example const url = await ml.base64Crop({ image: 'data:image/png;base64,...', crop: true });
   */
  async base64Crop(input: { image: string; crop?: boolean }, call?: CallOptions): Promise<string> {
    const op = 'POST /v3/base64_crop';
    const i = parseRequest(cropSchema, input, 'modelslab', op, this.#redactor);
    const res = await this.#post('/v3/base64_crop', op, 'create', call, {
      image: i.image,
      crop: i.crop === undefined ? undefined : String(i.crop),
    });
    const r = parseResponse(
      v3ResponseSchema.extend({ link: z.string() }),
      res.body,
      'modelslab',
      op,
      this.#redactor,
    );
    return r.link;
  }

  /**
   * Downloads a generated image from an `output` URL (no key is sent).
   * @example const { bytes } = await ml.downloadOutput(result.output[0]!);
   */
  async downloadOutput(url: string, call?: CallOptions): Promise<Download> {
    const op = 'download output';
    const u = parseRequest(z.url({ protocol: /^https?$/ }), url, 'modelslab', op, this.#redactor);
    const c = parseRequest(callOptionsSchema, call, 'modelslab', op, this.#redactor);
    const config = c?.timeoutMs ? { ...this.#http, timeoutMs: c.timeoutMs } : this.#http;
    const res = await send(config, {
      method: 'GET',
      url: new URL(u),
      operation: op,
      kind: 'read',
      binary: true,
      signal: c?.signal,
    });
    return { bytes: res.bytes ?? new Uint8Array(), mimeType: res.headers.get('content-type') ?? undefined };
  }
}
