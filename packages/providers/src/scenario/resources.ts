import { Resource } from '../base-client';
import type { Download } from '../download';
import { DownloadError } from '../errors';
import type { CallOptions } from '../options';
import {
  type CreateModelInput,
  type CustomGenerateInput,
  scenarioEndpoints as E,
  type EditGenerateInput,
  type GenerateResult,
  type Img2imgGenerateInput,
  type ListJobsQuery,
  type ListModelsQuery,
  type ListPublicModelsQuery,
  type Page,
  type TrainingImageInput,
  type TrainModelInput,
  type TrainResult,
  type Txt2imgInput,
  type UploadAssetInput,
} from './endpoints';
import type { Asset, CostEstimate, Job, Model, TrainingImage, TrainingImagePair } from './schemas';

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

/**
 * Scenario models: list, read, create, training images and pairs, train and cancel
 * (`scenario.models`).
 *
 * @example
 * const lora = await scenario.models.create({ name: 'ink', type: 'flux.1-lora' });
 */
export class ScenarioModels extends Resource {
  /**
   * Lists the project's models, one page at a time (see {@link ScenarioModels.iterate} for all pages).
   * @example const { items, nextPaginationToken } = await scenario.models.list({ type: 'flux.1-lora', status: 'trained' });
   */
  list(query: ListModelsQuery = {}, call?: CallOptions): Promise<Page<Model>> {
    return this.client.request(E.listModels, { query }, call);
  }

  /**
   * Iterates every model across pages, following `nextPaginationToken` until the last page.
   * @example for await (const m of scenario.models.iterate({ status: 'trained' })) console.log(m.id);
   */
  iterate(query: Omit<ListModelsQuery, 'paginationToken'> = {}, call?: CallOptions): AsyncGenerator<Model> {
    return pages((token) => this.list(token ? { ...query, paginationToken: token } : query, call));
  }

  /**
   * Lists public models (the catalogue of shared LoRAs and base models).
   * @example const { items } = await scenario.models.listPublic({ types: ['flux.1-lora', 'sd-xl-lora'] });
   */
  listPublic(query: ListPublicModelsQuery = {}, call?: CallOptions): Promise<Page<Model>> {
    return this.client.request(E.listPublicModels, { query }, call);
  }

  /**
   * Iterates the whole public catalogue across pages.
   * @example for await (const lora of scenario.models.iteratePublic({ types: ['flux.1-lora'] })) pick(lora);
   */
  iteratePublic(
    query: Omit<ListPublicModelsQuery, 'paginationToken'> = {},
    call?: CallOptions,
  ): AsyncGenerator<Model> {
    return pages((token) => this.listPublic(token ? { ...query, paginationToken: token } : query, call));
  }

  /**
   * Reads one model, with its full training images and `trainingProgress`.
   * @example const model = await scenario.models.get('model_abc');
   */
  get(modelId: string, call?: CallOptions): Promise<Model> {
    return this.client.request(E.getModel, { params: { modelId } }, call);
  }

  /**
   * Creates a model (status `new`): a LoRA to train, or a composition of LoRAs with scales.
   * Not retried once it may have reached the server: check before sending it again.
   * @example const comp = await scenario.models.create({ type: 'flux.1-composition', concepts: [{ modelId: 'model_a', scale: 0.8 }] });
   */
  create(input: CreateModelInput, call?: CallOptions): Promise<Model> {
    return this.client.request(E.createModel, { body: input }, call);
  }

  /**
   * Adds a training image: a data URL upload, one existing asset, or up to 10 assets.
   * @example await scenario.models.addTrainingImage('model_abc', { assetIds: ['asset_1', 'asset_2'] });
   */
  addTrainingImage(modelId: string, input: TrainingImageInput, call?: CallOptions): Promise<TrainingImage> {
    return this.client.request(E.addTrainingImage, { params: { modelId }, body: input }, call);
  }

  /**
   * Replaces all source→target pairs of an edit LoRA (a PUT of the whole list, so safe to repeat).
   * @example await scenario.models.replaceTrainingImagePairs('model_abc', [{ sourceId: 'asset_1', targetId: 'asset_2', instruction: 'make it night' }]);
   */
  async replaceTrainingImagePairs(
    modelId: string,
    pairs: TrainingImagePair[],
    call?: CallOptions,
  ): Promise<{ count: number; pairs: TrainingImagePair[] }> {
    // The public pair type is the loose answer type; the body schema checks every field before sending.
    const body = pairs as Array<{ sourceId: string; targetId: string; instruction: string }>;
    const out = await this.client.request(E.replaceTrainingImagePairs, { params: { modelId }, body }, call);
    return { count: out.count ?? out.pairs?.length ?? pairs.length, pairs: out.pairs ?? pairs };
  }

  /**
   * Starts training (or finalises a composition). With `dryRun: true` nothing runs: the vendor answers
   * HTTP 269 and this returns the cost.
   * @example
   * const cost = await scenario.models.train('model_abc', { dryRun: true }); // { kind: 'cost', creativeUnitsCost: 60, ... }
   * const started = await scenario.models.train('model_abc', { parameters: { nbEpochs: 10 } });
   */
  train(
    modelId: string,
    input: TrainModelInput & { dryRun: true },
    call?: CallOptions,
  ): Promise<CostEstimate>;
  train(
    modelId: string,
    input?: TrainModelInput & { dryRun?: false },
    call?: CallOptions,
  ): Promise<TrainResult>;
  train(
    modelId: string,
    input: TrainModelInput = {},
    call?: CallOptions,
  ): Promise<TrainResult | CostEstimate> {
    const params = { modelId };
    if (input.dryRun !== true) return this.client.request(E.train, { params, body: input }, call);
    const { trainingImagesCount } = input;
    const query = trainingImagesCount === undefined ? {} : { trainingImagesCount };
    return this.client.request(E.trainCost, { params, query, body: input }, call);
  }

  /**
   * Sends a training action (`POST /models/{id}/train/action`); `cancel` is the only one the API has.
   * @example await scenario.models.trainAction('model_abc', 'cancel');
   */
  trainAction(modelId: string, action: 'cancel', call?: CallOptions): Promise<Model> {
    return this.client.request(E.trainAction, { params: { modelId }, body: { action } }, call);
  }

  /**
   * Asks Scenario to cancel a training; the model ends `training-canceled`.
   * @example await scenario.models.cancelTraining('model_abc');
   */
  cancelTraining(modelId: string, call?: CallOptions): Promise<Model> {
    return this.trainAction(modelId, 'cancel', call);
  }
}

/**
 * Scenario jobs: read, list, cancel (`scenario.jobs`).
 *
 * @example
 * const job = await scenario.jobs.get('job_abc');
 */
export class ScenarioJobs extends Resource {
  /**
   * Reads a job (status, progress, status history, `metadata.assetIds`).
   * @example const job = await scenario.jobs.get('job_abc');
   */
  get(jobId: string, call?: CallOptions): Promise<Job> {
    return this.client.request(E.getJob, { params: { jobId } }, call);
  }

  /**
   * Lists jobs, one page at a time.
   * @example const { items } = await scenario.jobs.list({ status: 'in-progress' });
   */
  list(query: ListJobsQuery = {}, call?: CallOptions): Promise<Page<Job>> {
    return this.client.request(E.listJobs, { query }, call);
  }

  /**
   * Asks Scenario to cancel a job. The answer may still say `in-progress`: poll to learn the outcome.
   * @example await scenario.jobs.cancel('job_abc');
   */
  cancel(jobId: string, call?: CallOptions): Promise<Job | undefined> {
    return this.client.request(E.cancelJob, { params: { jobId }, body: { action: 'cancel' } }, call);
  }
}

/**
 * Scenario assets: read, upload, download (`scenario.assets`).
 *
 * @example
 * const input = await scenario.assets.upload({ name: 'before.png', image: dataUrl });
 */
export class ScenarioAssets extends Resource {
  /**
   * Reads an asset (its signed `url`, type and size).
   * @example const asset = await scenario.assets.get('asset_abc');
   */
  get(assetId: string, call?: CallOptions): Promise<Asset> {
    return this.client.request(E.getAsset, { params: { assetId } }, call);
  }

  /**
   * Uploads an image as an asset (`POST /assets` with `image` as a base64 data URL and its file
   * `name`), e.g. the input of an edit or img2img generation. Not retried once it may have
   * reached the server.
   * @example const { id } = await scenario.assets.upload({ name: 'before.png', image: 'data:image/png;base64,...' });
   */
  upload(input: UploadAssetInput, call?: CallOptions): Promise<Asset> {
    return this.client.request(E.uploadAsset, { body: input }, call);
  }

  /**
   * Downloads an asset's bytes from its signed URL, through the package's one download path (no
   * Basic auth is sent there). Accepts an asset or an asset id; the type falls back to the asset's.
   * @example const { bytes, mimeType } = await scenario.assets.download('asset_abc');
   */
  async download(asset: Asset | string, call?: CallOptions): Promise<Download> {
    let a = typeof asset === 'string' ? await this.get(asset, call) : asset;
    let file: Download;
    try {
      file = await this.client.download(a.url, call);
    } catch (error) {
      // Signed URLs live an undocumented while (PROVIDERS.md, open question 10): an expired one is read afresh, once.
      if (!(error instanceof DownloadError && EXPIRED.has(error.status ?? 0))) throw error;
      a = await this.get(a.id, call);
      file = await this.client.download(a.url, call);
    }
    return { bytes: file.bytes, mimeType: file.mimeType ?? a.mimeType };
  }
}

// What a CDN answers a signed URL past its expiry (S3 and CloudFront say 403; some 401 or 410).
const EXPIRED: ReadonlySet<number> = new Set([401, 403, 410]);

type DryRun = { dryRun: true };
type Run = { dryRun?: false };

/**
 * A route B call (`POST /generate/custom/{baseModelId}`): the base model, the body, and
 * `{ dryRun: true }` for the cost (HTTP 269) instead of a job.
 *
 * @example
 * const priced: CostEstimate = await scenario.generations.edit('model_bfl-flux-2-dev', body, { dryRun: true });
 */
export interface RouteB<I> {
  (baseModelId: string, input: I, options: DryRun, call?: CallOptions): Promise<CostEstimate>;
  (baseModelId: string, input: I, options?: Run, call?: CallOptions): Promise<GenerateResult>;
}

/**
 * Scenario generation: route A (`txt2img`), route B (`custom`), and route B with an input image
 * (`edit` for FLUX.2 edit LoRAs, `img2img` for FLUX.1) — `scenario.generations`. Every method
 * takes `{ dryRun: true }` to get the cost (HTTP 269) instead of a job.
 *
 * @example
 * const { job } = await scenario.generations.custom('model_bfl-flux-2-dev', { prompt: 'a fox', loras: ['model_a'] });
 */
export class ScenarioGenerations extends Resource {
  /**
   * Route A: `POST /generate/txt2img` with a LoRA, a composition or a base model, plus extra `concepts`.
   * @example const { job } = await scenario.generations.txt2img({ modelId: 'model_comp', prompt: 'a castle', numSamples: 1, seed: 42 });
   */
  txt2img(input: Txt2imgInput, options: DryRun, call?: CallOptions): Promise<CostEstimate>;
  txt2img(input: Txt2imgInput, options?: Run, call?: CallOptions): Promise<GenerateResult>;
  txt2img(
    input: Txt2imgInput,
    options: { dryRun?: boolean } = {},
    call?: CallOptions,
  ): Promise<GenerateResult | CostEstimate> {
    return options.dryRun === true
      ? this.client.request(E.txt2imgCost, { body: input }, call)
      : this.client.request(E.txt2img, { body: input }, call);
  }

  /**
   * Route B with up to 6 LoRAs and scales, e.g. on `model_bfl-flux-2-dev`.
   * @example const { job } = await scenario.generations.custom('model_bfl-flux-2-dev', { prompt: 'a fox', loras: ['model_a'], lorasScale: [0.8] });
   */
  readonly custom: RouteB<CustomGenerateInput> = this.#routeB(E.custom, E.customCost);

  /**
   * Edits an image with route B: `referenceImages` are the asset ids of the image(s) to edit (1..5,
   * e.g. from `assets.upload`), the LoRAs are edit LoRAs of the base (`flux.2-dev-edit-lora` on
   * `model_bfl-flux-2-dev`), and the prompt is the instruction.
   * @example const { job } = await scenario.generations.edit('model_bfl-flux-2-dev', { prompt: 'make it night', referenceImages: [input.id], loras: ['model_edit'] });
   */
  readonly edit: RouteB<EditGenerateInput> = this.#routeB(E.edit, E.editCost);

  /**
   * Image-to-image with route B on a FLUX.1 base (`model_bfl-flux-1-dev`): `image` (an asset id or
   * a data URL) is the start, `strength` (0.01..1; the vendor's default 0.75) how much of it is
   * replaced, with the base's LoRA trio (`modelId`, `loras`, `lorasScale`).
   * @example const { job } = await scenario.generations.img2img('model_bfl-flux-1-dev', { prompt: 'a watercolour', image: input.id, strength: 0.6, loras: ['model_style'] });
   */
  readonly img2img: RouteB<Img2imgGenerateInput> = this.#routeB(E.img2img, E.img2imgCost);

  #routeB<I>(
    run: typeof E.custom | typeof E.edit | typeof E.img2img,
    cost: typeof E.customCost | typeof E.editCost | typeof E.img2imgCost,
  ): RouteB<I> {
    const call = (baseModelId: string, input: I, options: { dryRun?: boolean } = {}, c?: CallOptions) => {
      const parts = { params: { modelId: baseModelId }, body: input as never };
      return options.dryRun === true
        ? this.client.request(cost, parts, c)
        : this.client.request(run, parts, c);
    };
    return call as RouteB<I>;
  }
}
