import { z } from 'zod';
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
import {
  type Asset,
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
  type TrainingImage,
  type TrainingImagePair,
  trainEnvelope,
  trainingImageEnvelope,
} from './schemas';

/**
 * The public Scenario API.
 *
 * @example
 * new ScenarioClient({ apiKey, apiSecret, baseUrl: SCENARIO_BASE_URL });
 */
export const SCENARIO_BASE_URL = 'https://api.cloud.scenario.com/v1';

/**
 * Options of {@link ScenarioClient}.
 *
 * @example
 * const o: ScenarioClientOptions = { apiKey: process.env.SCENARIO_API_KEY!, apiSecret: process.env.SCENARIO_API_SECRET!, projectId: 'proj_x' };
 */
export interface ScenarioClientOptions extends CommonClientOptions {
  /** API key (the Basic-auth user, `api_…`). */
  apiKey: string;
  /** API secret (the Basic-auth password). */
  apiSecret: string;
  /** Sent as `projectId` on every call when set. */
  projectId?: string;
}

const optionsSchema = z
  .object({
    ...commonOptionsShape,
    apiKey: z.string().min(1, 'apiKey is required'),
    apiSecret: z.string().min(1, 'apiSecret is required'),
    projectId: z.string().min(1).optional(),
  })
  .strict();

const id = z.string().min(1).max(200);
const pageSize = z.number().int().min(1).max(500);

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
 * Filters of {@link ScenarioClient.listModels}.
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
 * Filters of {@link ScenarioClient.listPublicModels}.
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
 * Body of {@link ScenarioClient.createModel}.
 *
 * @example
 * const input: CreateModelInput = { type: 'flux.1-composition', concepts: [{ modelId: 'model_a', scale: 0.8 }] };
 */
export type CreateModelInput = z.input<typeof createModelSchema>;

const preset = z.enum(['default', 'style', 'subject']).optional();
const uploadSchema = z
  .object({
    name: z.string().min(1).max(256),
    data: z
      .string()
      .regex(/^data:image\/[a-z0-9.+-]+;base64,[A-Za-z0-9+/=\s]+$/i, 'expected a base64 image data URL'),
    preset,
  })
  .strict();
const assetSchema = z.object({ assetId: id, preset }).strict();
const batchSchema = z
  .object({ assetIds: z.array(id).min(1).max(10, 'at most 10 assetIds per request'), preset })
  .strict();
const trainingImageInputSchema = z.union([uploadSchema, assetSchema, batchSchema]);
// The form is chosen by its key, so a mistake is reported on that form's fields, not as "no union member matched".
function trainingImageFormSchema(input: unknown) {
  if (input && typeof input === 'object' && 'assetIds' in input) return batchSchema;
  if (input && typeof input === 'object' && 'assetId' in input) return assetSchema;
  return uploadSchema;
}
/**
 * One upload (data URL), one existing asset, or up to 10 assets.
 *
 * @example
 * const input: TrainingImageInput = { name: 'cat.png', data: 'data:image/png;base64,...' };
 */
export type TrainingImageInput = z.input<typeof trainingImageInputSchema>;

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
 * Arguments of {@link ScenarioClient.trainModel}.
 *
 * @example
 * const input: TrainModelInput = { parameters: { nbEpochs: 10, rank: 16 } };
 */
export type TrainModelInput = z.input<typeof trainSchema>;

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
 * Filters of {@link ScenarioClient.listJobs}.
 *
 * @example
 * const q: ListJobsQuery = { status: 'in-progress', pageSize: 50 };
 */
export type ListJobsQuery = z.input<typeof listJobsSchema>;

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
 * Body of {@link ScenarioClient.generateTxt2img} (route A).
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
 * Body of {@link ScenarioClient.generateCustom} (route B).
 *
 * @example
 * const input: CustomGenerateInput = { prompt: 'a fox', loras: ['model_a', 'model_b'], lorasScale: [0.8, 0.4] };
 */
export type CustomGenerateInput = z.input<typeof customSchema>;

/**
 * A started training: the model (now `training`) and its job.
 *
 * @example
 * const { job }: TrainResult = await scenario.trainModel(modelId);
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
 * const { job }: GenerateResult = await scenario.generateCustom('model_bfl-flux-2-dev', input);
 */
export interface GenerateResult {
  kind: 'submitted';
  job: Job;
  creativeUnitsCost: number | undefined;
}

/**
 * One page of a list.
 *
 * @example
 * const page: Page<Model> = await scenario.listModels({ pageSize: 10 });
 */
export interface Page<T> {
  items: T[];
  nextPaginationToken: string | undefined;
}

/**
 * Downloaded bytes and their type.
 *
 * @example
 * const { bytes, mimeType }: Download = await scenario.downloadAsset(assetId);
 */
export interface Download {
  bytes: Uint8Array;
  mimeType: string | undefined;
}

function base64(text: string): string {
  let binary = '';
  for (const b of new TextEncoder().encode(text)) binary += String.fromCharCode(b);
  return btoa(binary);
}

/** Follows `nextPaginationToken` until the last page. */
async function* pages<T>(fetchPage: (token: string | undefined) => Promise<Page<T>>): AsyncGenerator<T> {
  const seen = new Set<string>();
  let token: string | undefined;
  do {
    const page = await fetchPage(token);
    yield* page.items;
    token = page.nextPaginationToken;
    // A token seen twice would loop forever; the vendor's tokens are opaque, so guard here.
    if (token && seen.has(token)) break;
    if (token) seen.add(token);
  } while (token);
}

function csv(list: string[] | undefined): string | undefined {
  return list && list.length > 0 ? list.join(',') : undefined;
}

/**
 * A client for the Scenario API subset loraflow uses: models, training images, training, jobs,
 * assets and LoRA generation. Authenticates with HTTP Basic (key:secret); reads are retried with
 * backoff, creates are not blindly repeated; errors are {@link ProviderError}s without secrets.
 *
 * @example
 * const scenario = new ScenarioClient({ apiKey: process.env.SCENARIO_API_KEY!, apiSecret: process.env.SCENARIO_API_SECRET! });
 * const model = await scenario.createModel({ name: 'my style', type: 'flux.1-lora' });
 * await scenario.addTrainingImage(model.id, { name: 'a.png', data: 'data:image/png;base64,...' });
 * const { job } = await scenario.trainModel(model.id, { parameters: { nbEpochs: 10 } });
 */
export class ScenarioClient {
  readonly #http: HttpConfig;
  readonly #baseUrl: string;
  readonly #auth: string;
  readonly #projectId: string | undefined;
  readonly #apiKey: string;
  readonly #redactor: Redactor;

  constructor(options: ScenarioClientOptions) {
    // Redact before validating: a zod message must never echo a secret.
    const raw = (options ?? {}) as Partial<ScenarioClientOptions>;
    const secrets = [raw.apiKey, raw.apiSecret].filter((s): s is string => typeof s === 'string');
    this.#redactor = createRedactor(
      secrets,
      raw.apiKey && raw.apiSecret ? [[raw.apiKey, raw.apiSecret]] : [],
    );
    const o = parseRequest(optionsSchema, options, 'scenario', 'client options', this.#redactor);
    this.#baseUrl = o.baseUrl ?? SCENARIO_BASE_URL;
    this.#auth = `Basic ${base64(`${o.apiKey}:${o.apiSecret}`)}`;
    this.#projectId = o.projectId;
    this.#apiKey = o.apiKey;
    this.#http = httpConfig('scenario', o, options.retry, this.#redactor);
  }

  /**
   * A digest naming the account this client works in, for cache keys (`ScopedService` in
   * @loraflow/core): the project when `projectId` is set (so rotating keys keeps the cache), else
   * the API key's id. Computed with the caller's hash; nothing secret leaves, nothing is kept.
   *
   * @example
   * const scope = scenario.cacheScope(sha256Hex);
   */
  cacheScope(hash: (text: string) => string): string {
    return this.#projectId !== undefined
      ? hash(`loraflow.scope/scenario-project\n${this.#projectId}`)
      : hash(`loraflow.scope/scenario-key\n${this.#apiKey}`);
  }

  async #call(
    method: HttpRequest['method'],
    path: string,
    operation: string,
    kind: RequestKind,
    call: CallOptions | undefined,
    extra: {
      query?: Record<string, string | number | boolean | undefined>;
      json?: unknown;
      dryRun?: boolean;
    } = {},
  ) {
    const c = parseRequest(callOptionsSchema, call, 'scenario', operation, this.#redactor);
    const query = { ...extra.query, projectId: this.#projectId };
    const url = buildUrl(this.#baseUrl, path, query);
    const config = c?.timeoutMs ? { ...this.#http, timeoutMs: c.timeoutMs } : this.#http;
    return send(config, {
      method,
      url,
      operation,
      kind,
      headers: { authorization: this.#auth },
      json: extra.json,
      signal: c?.signal,
    });
  }

  #parse<S extends z.ZodType>(schema: S, body: unknown, operation: string): z.output<S> {
    return parseResponse(schema, body, 'scenario', operation, this.#redactor);
  }

  /**
   * Lists the project's models, one page at a time (see {@link iterateModels} for all pages).
   * @example const { items, nextPaginationToken } = await scenario.listModels({ type: 'flux.1-lora', status: 'trained' });
   */
  async listModels(query: ListModelsQuery = {}, call?: CallOptions): Promise<Page<Model>> {
    const op = 'GET /models';
    const q = parseRequest(listModelsSchema, query, 'scenario', op, this.#redactor);
    const res = await this.#call('GET', '/models', op, 'read', call, {
      query: { ...q, types: csv(q.types), tags: csv(q.tags) },
    });
    const body = this.#parse(modelListEnvelope, res.body, op);
    return { items: body.models, nextPaginationToken: body.nextPaginationToken };
  }

  /**
   * Iterates every model across pages, following `nextPaginationToken` until the last page.
   * @example for await (const m of scenario.iterateModels({ status: 'trained' })) console.log(m.id);
   */
  async *iterateModels(
    query: Omit<ListModelsQuery, 'paginationToken'> = {},
    call?: CallOptions,
  ): AsyncGenerator<Model> {
    yield* pages((token) => this.listModels(token ? { ...query, paginationToken: token } : query, call));
  }

  /**
   * Iterates the whole public catalogue across pages.
   * @example for await (const lora of scenario.iteratePublicModels({ types: ['flux.1-lora'] })) pick(lora);
   */
  async *iteratePublicModels(
    query: Omit<ListPublicModelsQuery, 'paginationToken'> = {},
    call?: CallOptions,
  ): AsyncGenerator<Model> {
    yield* pages((token) =>
      this.listPublicModels(token ? { ...query, paginationToken: token } : query, call),
    );
  }

  /**
   * Lists public models (the catalogue of shared LoRAs and base models).
   * @example const { items } = await scenario.listPublicModels({ types: ['flux.1-lora', 'sd-xl-lora'] });
   */
  async listPublicModels(query: ListPublicModelsQuery = {}, call?: CallOptions): Promise<Page<Model>> {
    const op = 'GET /models/public';
    const q = parseRequest(listPublicSchema, query, 'scenario', op, this.#redactor);
    const res = await this.#call('GET', '/models/public', op, 'read', call, {
      query: { ...q, types: csv(q.types), tags: csv(q.tags), collectionIds: csv(q.collectionIds) },
    });
    const body = this.#parse(modelListEnvelope, res.body, op);
    return { items: body.models, nextPaginationToken: body.nextPaginationToken };
  }

  /**
   * Reads one model, with its full training images and `trainingProgress`.
   * @example const model = await scenario.getModel('model_abc');
   */
  async getModel(modelId: string, call?: CallOptions): Promise<Model> {
    const op = 'GET /models/{modelId}';
    const mid = parseRequest(id, modelId, 'scenario', op, this.#redactor);
    const res = await this.#call('GET', `/models/${encodeURIComponent(mid)}`, op, 'read', call);
    return this.#parse(modelEnvelope, res.body, op).model;
  }

  /**
   * Creates a model (status `new`): a LoRA to train, or a composition of LoRAs with scales.
   * Not retried once it may have reached the server: check before sending it again.
   * @example const comp = await scenario.createModel({ type: 'flux.1-composition', concepts: [{ modelId: 'model_a', scale: 0.8 }] });
   */
  async createModel(input: CreateModelInput, call?: CallOptions): Promise<Model> {
    const op = 'POST /models';
    const body = parseRequest(createModelSchema, input, 'scenario', op, this.#redactor);
    const res = await this.#call('POST', '/models', op, 'create', call, { json: body });
    return this.#parse(modelEnvelope, res.body, op).model;
  }

  /**
   * Adds a training image: a data URL upload, one existing asset, or up to 10 assets.
   * @example await scenario.addTrainingImage('model_abc', { assetIds: ['asset_1', 'asset_2'] });
   */
  async addTrainingImage(
    modelId: string,
    input: TrainingImageInput,
    call?: CallOptions,
  ): Promise<TrainingImage> {
    const op = 'POST /models/{modelId}/training-images';
    const mid = parseRequest(id, modelId, 'scenario', op, this.#redactor);
    const body = parseRequest(trainingImageFormSchema(input), input, 'scenario', op, this.#redactor);
    const res = await this.#call(
      'POST',
      `/models/${encodeURIComponent(mid)}/training-images`,
      op,
      'create',
      call,
      {
        json: body,
      },
    );
    return this.#parse(trainingImageEnvelope, res.body, op).trainingImage;
  }

  /**
   * Replaces all source→target pairs of an edit LoRA (a PUT of the whole list, so safe to repeat).
   * @example await scenario.replaceTrainingImagePairs('model_abc', [{ sourceId: 'asset_1', targetId: 'asset_2', instruction: 'make it night' }]);
   */
  async replaceTrainingImagePairs(
    modelId: string,
    pairs: TrainingImagePair[],
    call?: CallOptions,
  ): Promise<{ count: number; pairs: TrainingImagePair[] }> {
    const op = 'PUT /models/{modelId}/training-images/pairs';
    const mid = parseRequest(id, modelId, 'scenario', op, this.#redactor);
    const body = parseRequest(pairsSchema, pairs, 'scenario', op, this.#redactor);
    const res = await this.#call(
      'PUT',
      `/models/${encodeURIComponent(mid)}/training-images/pairs`,
      op,
      'read',
      call,
      {
        json: body,
      },
    );
    const out = this.#parse(pairsEnvelope, res.body, op);
    return { count: out.count ?? out.pairs?.length ?? body.length, pairs: out.pairs ?? body };
  }

  /**
   * Starts training (or finalises a composition). With `dryRun: true` nothing runs: the vendor answers
   * HTTP 269 and this returns the cost.
   * @example
   * const cost = await scenario.trainModel('model_abc', { dryRun: true }); // { kind: 'cost', creativeUnitsCost: 60, ... }
   * const started = await scenario.trainModel('model_abc', { parameters: { nbEpochs: 10 } });
   */
  async trainModel(
    modelId: string,
    input: TrainModelInput & { dryRun: true },
    call?: CallOptions,
  ): Promise<CostEstimate>;
  async trainModel(
    modelId: string,
    input?: TrainModelInput & { dryRun?: false },
    call?: CallOptions,
  ): Promise<TrainResult>;
  async trainModel(
    modelId: string,
    input: TrainModelInput = {},
    call?: CallOptions,
  ): Promise<TrainResult | CostEstimate> {
    const op = 'PUT /models/{modelId}/train';
    const mid = parseRequest(id, modelId, 'scenario', op, this.#redactor);
    const t = parseRequest(trainSchema, input, 'scenario', op, this.#redactor);
    const res = await this.#call(
      'PUT',
      `/models/${encodeURIComponent(mid)}/train`,
      op,
      t.dryRun ? 'read' : 'create',
      call,
      {
        query: t.dryRun ? { dryRun: true, trainingImagesCount: t.trainingImagesCount } : {},
        json: { parameters: t.parameters ?? {} },
      },
    );
    if (t.dryRun) return { kind: 'cost', ...this.#parse(costSchema, res.body, op) };
    const body = this.#parse(trainEnvelope, res.body, op);
    return {
      kind: 'started',
      model: body.model,
      job: body.job,
      creativeUnitsCost: body.creativeUnitsCost ?? body.creativeUnits?.estimatedCreativeUnits,
    };
  }

  /**
   * Sends a training action (`POST /models/{id}/train/action`); `cancel` is the only one the API has.
   * @example await scenario.trainAction('model_abc', 'cancel');
   */
  async trainAction(modelId: string, action: 'cancel', call?: CallOptions): Promise<Model> {
    const op = 'POST /models/{modelId}/train/action';
    const act = parseRequest(z.literal('cancel'), action, 'scenario', op, this.#redactor);
    const mid = parseRequest(id, modelId, 'scenario', op, this.#redactor);
    const res = await this.#call(
      'POST',
      `/models/${encodeURIComponent(mid)}/train/action`,
      op,
      'read',
      call,
      {
        json: { action: act },
      },
    );
    return this.#parse(modelEnvelope, res.body, op).model;
  }

  /**
   * Asks Scenario to cancel a training; the model ends `training-canceled`. Same as `trainAction(id, 'cancel')`.
   * @example await scenario.cancelTraining('model_abc');
   */
  async cancelTraining(modelId: string, call?: CallOptions): Promise<Model> {
    return this.trainAction(modelId, 'cancel', call);
  }

  /**
   * Reads a job (status, progress, status history, `metadata.assetIds`).
   * @example const job = await scenario.getJob('job_abc');
   */
  async getJob(jobId: string, call?: CallOptions): Promise<Job> {
    const op = 'GET /jobs/{jobId}';
    const jid = parseRequest(id, jobId, 'scenario', op, this.#redactor);
    const res = await this.#call('GET', `/jobs/${encodeURIComponent(jid)}`, op, 'read', call);
    return this.#parse(jobEnvelope, res.body, op).job;
  }

  /**
   * Lists jobs, one page at a time.
   * @example const { items } = await scenario.listJobs({ status: 'in-progress' });
   */
  async listJobs(query: ListJobsQuery = {}, call?: CallOptions): Promise<Page<Job>> {
    const op = 'GET /jobs';
    const q = parseRequest(listJobsSchema, query, 'scenario', op, this.#redactor);
    const res = await this.#call('GET', '/jobs', op, 'read', call, { query: { ...q, types: csv(q.types) } });
    const body = this.#parse(jobListEnvelope, res.body, op);
    return { items: body.jobs, nextPaginationToken: body.nextPaginationToken };
  }

  /**
   * Asks Scenario to cancel a job. The answer may still say `in-progress`: poll to learn the outcome.
   * @example await scenario.cancelJob('job_abc');
   */
  async cancelJob(jobId: string, call?: CallOptions): Promise<Job | undefined> {
    const op = 'POST /jobs/{jobId}/action';
    const jid = parseRequest(id, jobId, 'scenario', op, this.#redactor);
    const res = await this.#call('POST', `/jobs/${encodeURIComponent(jid)}/action`, op, 'read', call, {
      json: { action: 'cancel' },
    });
    if (res.body === undefined) return undefined;
    return this.#parse(jobEnvelope, res.body, op).job;
  }

  /**
   * Reads an asset (its signed `url`, type and size).
   * @example const asset = await scenario.getAsset('asset_abc');
   */
  async getAsset(assetId: string, call?: CallOptions): Promise<Asset> {
    const op = 'GET /assets/{assetId}';
    const aid = parseRequest(id, assetId, 'scenario', op, this.#redactor);
    const res = await this.#call('GET', `/assets/${encodeURIComponent(aid)}`, op, 'read', call);
    return this.#parse(assetEnvelope, res.body, op).asset;
  }

  /**
   * Downloads an asset's bytes from its signed URL (no Basic auth is sent there). Accepts an asset or an asset id.
   * @example const { bytes, mimeType } = await scenario.downloadAsset('asset_abc');
   */
  async downloadAsset(asset: Asset | string, call?: CallOptions): Promise<Download> {
    const op = 'download asset';
    const a = typeof asset === 'string' ? await this.getAsset(asset, call) : asset;
    const url = parseRequest(z.url({ protocol: /^https?$/ }), a.url, 'scenario', op, this.#redactor);
    const c = parseRequest(callOptionsSchema, call, 'scenario', op, this.#redactor);
    const config = c?.timeoutMs ? { ...this.#http, timeoutMs: c.timeoutMs } : this.#http;
    const res = await send(config, {
      method: 'GET',
      url: new URL(url),
      operation: op,
      kind: 'read',
      binary: true,
      signal: c?.signal,
    });
    return { bytes: res.bytes ?? new Uint8Array(), mimeType: res.headers.get('content-type') ?? a.mimeType };
  }

  /**
   * Route A: `POST /generate/txt2img` with a LoRA, a composition or a base model, plus extra `concepts`.
   * With `{ dryRun: true }` returns the cost instead.
   * @example const { job } = await scenario.generateTxt2img({ modelId: 'model_comp', prompt: 'a castle', numSamples: 1, seed: 42 });
   */
  async generateTxt2img(
    input: Txt2imgInput,
    options: { dryRun: true },
    call?: CallOptions,
  ): Promise<CostEstimate>;
  async generateTxt2img(
    input: Txt2imgInput,
    options?: { dryRun?: false },
    call?: CallOptions,
  ): Promise<GenerateResult>;
  async generateTxt2img(
    input: Txt2imgInput,
    options: { dryRun?: boolean } = {},
    call?: CallOptions,
  ): Promise<GenerateResult | CostEstimate> {
    const op = 'POST /generate/txt2img';
    const body = parseRequest(txt2imgSchema, input, 'scenario', op, this.#redactor);
    return this.#generate('/generate/txt2img', op, body, options.dryRun === true, call);
  }

  /**
   * Route B: `POST /generate/custom/{baseModelId}` (e.g. `model_bfl-flux-2-dev`) with up to 6 LoRAs and scales.
   * @example const { job } = await scenario.generateCustom('model_bfl-flux-2-dev', { prompt: 'a fox', loras: ['model_a'], lorasScale: [0.8] });
   */
  async generateCustom(
    baseModelId: string,
    input: CustomGenerateInput,
    options: { dryRun: true },
    call?: CallOptions,
  ): Promise<CostEstimate>;
  async generateCustom(
    baseModelId: string,
    input: CustomGenerateInput,
    options?: { dryRun?: false },
    call?: CallOptions,
  ): Promise<GenerateResult>;
  async generateCustom(
    baseModelId: string,
    input: CustomGenerateInput,
    options: { dryRun?: boolean } = {},
    call?: CallOptions,
  ): Promise<GenerateResult | CostEstimate> {
    const op = 'POST /generate/custom/{modelId}';
    const mid = parseRequest(id, baseModelId, 'scenario', op, this.#redactor);
    const body = parseRequest(customSchema, input, 'scenario', op, this.#redactor);
    return this.#generate(
      `/generate/custom/${encodeURIComponent(mid)}`,
      op,
      body,
      options.dryRun === true,
      call,
    );
  }

  async #generate(
    path: string,
    op: string,
    body: unknown,
    dryRun: boolean,
    call: CallOptions | undefined,
  ): Promise<GenerateResult | CostEstimate> {
    const res = await this.#call('POST', path, op, dryRun ? 'read' : 'create', call, {
      query: dryRun ? { dryRun: true } : {},
      json: body,
    });
    if (dryRun) return { kind: 'cost', ...this.#parse(costSchema, res.body, op) };
    const out = this.#parse(generateEnvelope, res.body, op);
    return { kind: 'submitted', job: out.job, creativeUnitsCost: out.creativeUnitsCost };
  }
}
