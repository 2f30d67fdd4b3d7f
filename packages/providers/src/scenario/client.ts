import { z } from 'zod';
import { BaseClient, type OutgoingRequest } from '../base-client';
import type { Download } from '../download';
import { parseRequest } from '../http';
import { type CallOptions, type CommonClientOptions, commonOptionsShape } from '../options';
import { createRedactor } from '../redact';
import type {
  CreateModelInput,
  CustomGenerateInput,
  GenerateResult,
  ListJobsQuery,
  ListModelsQuery,
  ListPublicModelsQuery,
  Page,
  TrainingImageInput,
  TrainModelInput,
  TrainResult,
  Txt2imgInput,
} from './endpoints';
import { ScenarioAssets, ScenarioGenerations, ScenarioJobs, ScenarioModels } from './resources';
import type { Asset, CostEstimate, Job, Model, TrainingImage, TrainingImagePair } from './schemas';

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

function base64(text: string): string {
  let binary = '';
  for (const b of new TextEncoder().encode(text)) binary += String.fromCharCode(b);
  return btoa(binary);
}

/**
 * A client for the Scenario API subset loraflow uses, as resources over the package's base client:
 * `models` (list, create, training images, train, cancel), `jobs`, `assets` (read, upload,
 * download) and `generations` (txt2img, custom, edit, img2img). Authenticates with HTTP Basic
 * (key:secret); reads are retried with backoff, creates are not blindly repeated; errors are
 * `ProviderError`s without secrets. The flat methods (`getModel`, `generateCustom`, ...) are the
 * same calls under their first names.
 *
 * @example
 * const scenario = new ScenarioClient({ apiKey: process.env.SCENARIO_API_KEY!, apiSecret: process.env.SCENARIO_API_SECRET! });
 * const model = await scenario.models.create({ name: 'my style', type: 'flux.1-lora' });
 * await scenario.models.addTrainingImage(model.id, { name: 'a.png', data: 'data:image/png;base64,...' });
 * const { job } = await scenario.models.train(model.id, { parameters: { nbEpochs: 10 } });
 */
export class ScenarioClient extends BaseClient {
  /** Models: list, read, create, training images and pairs, train, cancel. */
  readonly models: ScenarioModels;
  /** Jobs: read, list, cancel. */
  readonly jobs: ScenarioJobs;
  /** Assets: read, upload, download. */
  readonly assets: ScenarioAssets;
  /** Generation: txt2img (route A), custom, edit and img2img (route B). */
  readonly generations: ScenarioGenerations;
  readonly #auth: string;
  readonly #projectId: string | undefined;
  readonly #apiKey: string;

  constructor(options: ScenarioClientOptions) {
    // Redact before validating: a zod message must never echo a secret.
    const raw = (options ?? {}) as Partial<ScenarioClientOptions>;
    const secrets = [raw.apiKey, raw.apiSecret].filter((s): s is string => typeof s === 'string');
    const redactor = createRedactor(
      secrets,
      raw.apiKey && raw.apiSecret ? [[raw.apiKey, raw.apiSecret]] : [],
    );
    const o = parseRequest(optionsSchema, options, 'scenario', 'client options', redactor);
    super({
      provider: 'scenario',
      baseUrl: o.baseUrl ?? SCENARIO_BASE_URL,
      redactor,
      options: o,
      retry: options.retry,
    });
    this.#auth = `Basic ${base64(`${o.apiKey}:${o.apiSecret}`)}`;
    this.#projectId = o.projectId;
    this.#apiKey = o.apiKey;
    this.models = new ScenarioModels(this);
    this.jobs = new ScenarioJobs(this);
    this.assets = new ScenarioAssets(this);
    this.generations = new ScenarioGenerations(this);
  }

  protected override authorize(request: OutgoingRequest): void {
    request.headers.authorization = this.#auth;
    if (this.#projectId !== undefined) request.query.projectId = this.#projectId;
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

  // The first names of the calls, kept for the callers that use them: each is one resource call.

  /**
   * Same as `models.list`.
   * @example const { items } = await scenario.listModels({ type: 'flux.1-lora', status: 'trained' });
   */
  listModels(query: ListModelsQuery = {}, call?: CallOptions): Promise<Page<Model>> {
    return this.models.list(query, call);
  }

  /**
   * Same as `models.iterate`.
   * @example for await (const m of scenario.iterateModels({ status: 'trained' })) console.log(m.id);
   */
  iterateModels(
    query: Omit<ListModelsQuery, 'paginationToken'> = {},
    call?: CallOptions,
  ): AsyncGenerator<Model> {
    return this.models.iterate(query, call);
  }

  /**
   * Same as `models.listPublic`.
   * @example const { items } = await scenario.listPublicModels({ types: ['flux.1-lora'] });
   */
  listPublicModels(query: ListPublicModelsQuery = {}, call?: CallOptions): Promise<Page<Model>> {
    return this.models.listPublic(query, call);
  }

  /**
   * Same as `models.iteratePublic`.
   * @example for await (const lora of scenario.iteratePublicModels({ types: ['flux.1-lora'] })) pick(lora);
   */
  iteratePublicModels(
    query: Omit<ListPublicModelsQuery, 'paginationToken'> = {},
    call?: CallOptions,
  ): AsyncGenerator<Model> {
    return this.models.iteratePublic(query, call);
  }

  /**
   * Same as `models.get`.
   * @example const model = await scenario.getModel('model_abc');
   */
  getModel(modelId: string, call?: CallOptions): Promise<Model> {
    return this.models.get(modelId, call);
  }

  /**
   * Same as `models.create`.
   * @example const lora = await scenario.createModel({ name: 'ink', type: 'flux.1-lora' });
   */
  createModel(input: CreateModelInput, call?: CallOptions): Promise<Model> {
    return this.models.create(input, call);
  }

  /**
   * Same as `models.addTrainingImage`.
   * @example await scenario.addTrainingImage('model_abc', { assetIds: ['asset_1', 'asset_2'] });
   */
  addTrainingImage(modelId: string, input: TrainingImageInput, call?: CallOptions): Promise<TrainingImage> {
    return this.models.addTrainingImage(modelId, input, call);
  }

  /**
   * Same as `models.replaceTrainingImagePairs`.
   * @example await scenario.replaceTrainingImagePairs('model_abc', [{ sourceId: 'asset_1', targetId: 'asset_2', instruction: 'make it night' }]);
   */
  replaceTrainingImagePairs(
    modelId: string,
    pairs: TrainingImagePair[],
    call?: CallOptions,
  ): Promise<{ count: number; pairs: TrainingImagePair[] }> {
    return this.models.replaceTrainingImagePairs(modelId, pairs, call);
  }

  /**
   * Same as `models.train` (with `dryRun: true`, the cost).
   * @example const started = await scenario.trainModel('model_abc', { parameters: { nbEpochs: 10 } });
   */
  trainModel(
    modelId: string,
    input: TrainModelInput & { dryRun: true },
    call?: CallOptions,
  ): Promise<CostEstimate>;
  trainModel(
    modelId: string,
    input?: TrainModelInput & { dryRun?: false },
    call?: CallOptions,
  ): Promise<TrainResult>;
  trainModel(
    modelId: string,
    input: TrainModelInput = {},
    call?: CallOptions,
  ): Promise<TrainResult | CostEstimate> {
    return this.models.train(modelId, input as TrainModelInput & { dryRun?: false }, call);
  }

  /**
   * Same as `models.trainAction`.
   * @example await scenario.trainAction('model_abc', 'cancel');
   */
  trainAction(modelId: string, action: 'cancel', call?: CallOptions): Promise<Model> {
    return this.models.trainAction(modelId, action, call);
  }

  /**
   * Same as `models.cancelTraining`.
   * @example await scenario.cancelTraining('model_abc');
   */
  cancelTraining(modelId: string, call?: CallOptions): Promise<Model> {
    return this.models.cancelTraining(modelId, call);
  }

  /**
   * Same as `jobs.get`.
   * @example const job = await scenario.getJob('job_abc');
   */
  getJob(jobId: string, call?: CallOptions): Promise<Job> {
    return this.jobs.get(jobId, call);
  }

  /**
   * Same as `jobs.list`.
   * @example const { items } = await scenario.listJobs({ status: 'in-progress' });
   */
  listJobs(query: ListJobsQuery = {}, call?: CallOptions): Promise<Page<Job>> {
    return this.jobs.list(query, call);
  }

  /**
   * Same as `jobs.cancel`.
   * @example await scenario.cancelJob('job_abc');
   */
  cancelJob(jobId: string, call?: CallOptions): Promise<Job | undefined> {
    return this.jobs.cancel(jobId, call);
  }

  /**
   * Same as `assets.get`.
   * @example const asset = await scenario.getAsset('asset_abc');
   */
  getAsset(assetId: string, call?: CallOptions): Promise<Asset> {
    return this.assets.get(assetId, call);
  }

  /**
   * Same as `assets.download`: the signed URL through the one download path, without Basic auth.
   * @example const { bytes, mimeType } = await scenario.downloadAsset('asset_abc');
   */
  downloadAsset(asset: Asset | string, call?: CallOptions): Promise<Download> {
    return this.assets.download(asset, call);
  }

  /**
   * Same as `generations.txt2img` (route A).
   * @example const { job } = await scenario.generateTxt2img({ modelId: 'model_comp', prompt: 'a castle', numSamples: 1, seed: 42 });
   */
  generateTxt2img(input: Txt2imgInput, options: { dryRun: true }, call?: CallOptions): Promise<CostEstimate>;
  generateTxt2img(
    input: Txt2imgInput,
    options?: { dryRun?: false },
    call?: CallOptions,
  ): Promise<GenerateResult>;
  generateTxt2img(
    input: Txt2imgInput,
    options: { dryRun?: boolean } = {},
    call?: CallOptions,
  ): Promise<GenerateResult | CostEstimate> {
    return this.generations.txt2img(input, options as { dryRun?: false }, call);
  }

  /**
   * Same as `generations.custom` (route B).
   * @example const { job } = await scenario.generateCustom('model_bfl-flux-2-dev', { prompt: 'a fox', loras: ['model_a'], lorasScale: [0.8] });
   */
  generateCustom(
    baseModelId: string,
    input: CustomGenerateInput,
    options: { dryRun: true },
    call?: CallOptions,
  ): Promise<CostEstimate>;
  generateCustom(
    baseModelId: string,
    input: CustomGenerateInput,
    options?: { dryRun?: false },
    call?: CallOptions,
  ): Promise<GenerateResult>;
  generateCustom(
    baseModelId: string,
    input: CustomGenerateInput,
    options: { dryRun?: boolean } = {},
    call?: CallOptions,
  ): Promise<GenerateResult | CostEstimate> {
    return this.generations.custom(baseModelId, input, options as { dryRun?: false }, call);
  }
}
