import { type BlobRef, type JsonValue, type NodeContext, NodeRunError } from '@loraflow/core';
import type { CostEstimate } from '@loraflow/providers';
import { type Provider, providerLabel } from '../families';
import { toDataUrl } from '../image-check';
import { NODE_ERROR_CODES, need } from '../services';
import type { ImagesValue } from '../values';
import { createModelsLabBackend } from './modelslab';
import { type GenerationPlan, type GenerationRules, type GenerationSettings, NO_PROMPT } from './rules';
import { createScenarioBackend } from './scenario';

/**
 * What a backend may use of the node's context: the journal, the store, the signal, progress,
 * the host's services (polling) and the log.
 *
 * @example
 * async wait(ctx: GenerationContext, submitted, timeoutMs) { ctx.progress(0.05, 'submitted'); … }
 */
export type GenerationContext = Pick<
  NodeContext,
  'effect' | 'blobs' | 'signal' | 'progress' | 'services' | 'log'
>;

/**
 * The params of a generation that reach the provider's request: the rules' settings plus the
 * prompt-side options.
 *
 * @example
 * const p: GenerationParams = { width: 1024, height: 1024, samples: 1, seed: 7, negativePrompt: 'blur' };
 */
export interface GenerationParams extends GenerationSettings {
  negativePrompt?: string | undefined;
  seed?: number | undefined;
  scheduler?: string | undefined;
  /** ModelsLab's NSFW checker; unset is sent as its documented "yes". */
  safetyChecker?: boolean | undefined;
  /** ModelsLab's prompt enhancement; unset is sent as its documented "yes". */
  enhancePrompt?: boolean | undefined;
}

/**
 * One generation, decided: the rules' plan, the prompt, the params, and the LoRAs in connection
 * order (the plan refers to them by index).
 *
 * @example
 * const job: GenerationJob = { plan, prompt: 'a fox', params, loras: [{ id: 'model_a', strength: 0.8 }] };
 */
export interface GenerationJob {
  plan: GenerationPlan;
  prompt: string;
  params: GenerationParams;
  loras: ReadonlyArray<{ id: string; strength: number }>;
}

/**
 * What a price is asked for: a job whose `loras` are `undefined` when they do not exist yet
 * (they are trained in this same run), so only the plan and the params can price it.
 *
 * @example
 * await backend.price({ plan, prompt: 'a fox', params, loras: undefined });
 */
export type PriceQuery = Omit<GenerationJob, 'loras'> & { loras: GenerationJob['loras'] | undefined };

/**
 * A provider request built from a job: `body` is what `submit` sends, `intent` what the journal
 * records before sending it, `warnings` what the person should know (an ignored option).
 *
 * @example
 * const r: GenerationRequest<{ prompt: string }> = { body: { prompt: 'a fox' }, intent: { prompt: 'a fox' }, warnings: [] };
 */
export interface GenerationRequest<Body> {
  body: Body;
  intent: JsonValue;
  warnings: string[];
}

/**
 * One fetched image, before it is stored.
 *
 * @example
 * const image: FetchedImage = { bytes, mimeType: 'image/png', assetId: 'asset_a', width: 1024, height: 1024 };
 */
export interface FetchedImage {
  bytes: Uint8Array;
  mimeType: string;
  assetId?: string | undefined;
  width?: number | undefined;
  height?: number | undefined;
}

/**
 * How one provider generates images: it builds the request for a planned job, submits it, waits
 * for the result, downloads each image and prices a job. The rules (route, limits, strengths)
 * are decided before a backend is chosen; {@link runGeneration} journals the submit and stores
 * the images, so a backend holds only what differs between providers. Decision 0021; the optional
 * image methods let {@link runImageGeneration} start a job from an image (decision 0022).
 *
 * @example
 * const backend: GenerationBackend<MyBody, { id: string }, string> = {
 *   provider: 'scenario',
 *   request: (job) => ({ body: toBody(job), intent: toBody(job), warnings: [] }),
 *   submit: (ctx, body) => client.send(body, { signal: ctx.signal }),
 *   wait: (ctx, submitted, timeoutMs) => pollUntilDone(submitted.id, timeoutMs),
 *   download: (ctx, url) => fetchBytes(url),
 *   price: (query) => client.dryRun(toBody(query)),
 * };
 */
export interface GenerationBackend<
  Body = unknown,
  Submitted extends JsonValue = JsonValue,
  Output = unknown,
  ImageBody = unknown,
> {
  readonly provider: Provider;
  /** The provider's request for a job; pure, so the journal's intent and a dry run see the same body. */
  request(job: GenerationJob): GenerationRequest<Body>;
  /** Sends the request; its answer is journaled, so a resumed run does not send it twice. */
  submit(ctx: GenerationContext, body: Body): Promise<Submitted>;
  /** Whether a journaled submission can still give images: false once its job failed, was cancelled or came back empty, so the next run sends it again (decision 0027). */
  usable?(ctx: GenerationContext, submitted: Submitted): Promise<boolean>;
  /** Waits until the images exist (polling on the host's clock), reporting progress; answers what to download. */
  wait(ctx: GenerationContext, submitted: Submitted, timeoutMs: number): Promise<Output[]>;
  /** The bytes of one output. */
  download(ctx: GenerationContext, output: Output): Promise<FetchedImage>;
  /** The provider's price for a job (a dry run), or `undefined` when it cannot be known. */
  price(query: PriceQuery): Promise<CostEstimate | undefined>;
  /**
   * Image-to-image, when the provider can start from an image: puts the input image where the
   * provider reads it and answers the reference a request names (an asset id, a URL).
   */
  uploadInput?(ctx: GenerationContext, file: InputFile): Promise<string>;
  /** Image-to-image: the request of a job that starts from `input`, made from the same job's `request`. */
  imageRequest?(request: GenerationRequest<Body>, input: ImageInput): GenerationRequest<ImageBody>;
  /** Image-to-image: sends an image request on the provider's image route; answers what `wait` takes. */
  submitImage?(ctx: GenerationContext, body: ImageBody): Promise<Submitted>;
}

/**
 * An image a job starts from, on its way to the provider: the value from the `images` wire, and
 * its bytes as a data URL, read from the run's store only when asked (an upload may need none).
 *
 * @example
 * const url = await file.dataUrl(); // 'data:image/png;base64,…'
 */
export interface InputFile {
  image: ImagesValue[number];
  dataUrl(): Promise<string>;
}

/**
 * The image a request starts from, once the provider can read it: the `reference` it names (a
 * Scenario asset id, a ModelsLab URL) and how much of it is replaced (`strength`, 0..1).
 *
 * @example
 * const input: ImageInput = { reference: 'asset_in', strength: 0.6 };
 */
export interface ImageInput {
  reference: string;
  strength: number;
}

/**
 * An image-to-image job: a generation job, the image it starts from and how much of it is replaced.
 *
 * @example
 * const job: ImageGenerationJob = { plan, prompt: 'make it night', params, loras, image: images[0]!, strength: 0.6 };
 */
export interface ImageGenerationJob extends GenerationJob {
  image: ImagesValue[number];
  strength: number;
}

/**
 * Runs a job on a backend: the submit as a journaled effect (a resumed run finds the recorded
 * answer), the wait, then every image downloaded into the run's store. An answer with no image
 * fails the node, so an empty result never enters the cache.
 *
 * @example
 * const images = await runGeneration(ctx, createScenarioBackend(scenario), job, 10 * 60_000);
 */
export async function runGeneration<Body, Submitted extends JsonValue, Output>(
  ctx: GenerationContext,
  backend: GenerationBackend<Body, Submitted, Output>,
  job: GenerationJob,
  timeoutMs: number,
): Promise<ImagesValue> {
  const request = backend.request(job);
  for (const warning of request.warnings) ctx.log.warn(warning);
  const submitted = await ctx.effect<Submitted>('submit', {
    intent: request.intent,
    perform: () => backend.submit(ctx, request.body),
    ...(backend.usable ? { valid: (s: Submitted) => backend.usable!(ctx, s) } : {}),
  });
  const outputs = await backend.wait(ctx, submitted, timeoutMs);
  if (outputs.length === 0) {
    throw new NodeRunError(
      NODE_ERROR_CODES.generationFailed,
      `${providerLabel(backend.provider)} answered success but returned no images.`,
    );
  }
  const images: ImagesValue = [];
  for (const [i, output] of outputs.entries()) {
    const { bytes, mimeType, ...about } = await backend.download(ctx, output);
    const image: ImagesValue[number] = {
      blob: await ctx.blobs.put(bytes, mimeType),
      provider: backend.provider,
    };
    if (about.assetId !== undefined) image.assetId = about.assetId;
    if (job.params.seed !== undefined) image.seed = job.params.seed;
    if (about.width) image.width = about.width;
    if (about.height) image.height = about.height;
    images.push(image);
    ctx.progress(0.85 + (0.15 * (i + 1)) / outputs.length, `downloaded ${i + 1} of ${outputs.length} images`);
  }
  return images;
}

/**
 * The generation backend of a provider, on the host's client for it (`service.missing` without one).
 *
 * @example
 * const backend = backendFor(ctx.services, plan.provider);
 */
export function backendFor(services: NodeContext['services'], provider: Provider): GenerationBackend {
  return provider === 'scenario'
    ? createScenarioBackend(need({ services }, 'scenario'))
    : createModelsLabBackend(need({ services }, 'modelslab'));
}

/**
 * The prompt a generation runs with: the connected one when it has text, else the typed one;
 * neither fails the node with the same problem validation reports.
 *
 * @example
 * const prompt = generationPrompt(ctx.inputs.prompt, ctx.params.prompt);
 */
export function generationPrompt(connected: unknown, typed: string): string {
  const prompt = typeof connected === 'string' && connected.trim() !== '' ? connected : typed;
  if (prompt.trim() === '') throw new NodeRunError(NO_PROMPT.code, NO_PROMPT.message);
  return prompt;
}

/**
 * The plan of the rules' answer at run time, or the node's failure: its first problem, or no LoRA.
 *
 * @example
 * const plan = runnablePlan(planImageToImage(params, loras));
 */
export function runnablePlan(rules: GenerationRules): GenerationPlan {
  const [problem] = rules.problems;
  if (problem) throw new NodeRunError(problem.code, problem.message);
  if (rules.plan) return rules.plan;
  throw new NodeRunError(
    NODE_ERROR_CODES.inputMissing,
    'A generation needs at least one LoRA on its "loras" input.',
  );
}

/**
 * A request body without its unset fields: an image job leaves its size to the input, and a
 * journal intent must be plain JSON, where `undefined` is no value.
 *
 * @example
 * withoutUnset({ prompt: 'a fox', width: undefined }); // { prompt: 'a fox' }
 */
export function withoutUnset<T extends object>(body: T): T {
  return Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined)) as T;
}

async function dataUrlOf(ctx: GenerationContext, blob: BlobRef): Promise<string> {
  const bytes = await ctx.blobs.get(blob);
  if (!bytes) {
    throw new NodeRunError(
      NODE_ERROR_CODES.blobMissing,
      'The input image is missing from the store; run the node that made it again.',
    );
  }
  return toDataUrl(bytes, blob.mime);
}

/**
 * Runs an image-to-image job on a backend that can start from an image: the input image put
 * where the provider reads it (a journaled effect, so a resumed run does not upload it again),
 * then {@link runGeneration} with the backend's image request and submit, and its own wait,
 * download and price. Decision 0022.
 *
 * @example
 * const images = await runImageGeneration(ctx, backendFor(ctx.services, plan.provider), job, 600_000);
 */
export async function runImageGeneration<Body, Submitted extends JsonValue, Output, ImageBody>(
  ctx: GenerationContext,
  backend: GenerationBackend<Body, Submitted, Output, ImageBody>,
  job: ImageGenerationJob,
  timeoutMs: number,
): Promise<ImagesValue> {
  const { uploadInput, imageRequest, submitImage } = backend;
  if (!uploadInput || !imageRequest || !submitImage) {
    throw new Error(`The ${providerLabel(backend.provider)} backend cannot start from an image.`);
  }
  const blob = job.image.blob;
  // Uploading the same bytes twice only leaves a spare copy, so an upload needs no reconcile.
  const { reference } = await ctx.effect<{ reference: string }>('upload', {
    intent: { image: blob.$blob },
    perform: async () => ({
      reference: await uploadInput.call(backend, ctx, {
        image: job.image,
        dataUrl: () => dataUrlOf(ctx, blob),
      }),
    }),
  });
  const input: ImageInput = { reference, strength: job.strength };
  const fromImage: GenerationBackend<ImageBody, Submitted, Output> = {
    provider: backend.provider,
    request: (j) => imageRequest.call(backend, backend.request(j), input),
    submit: (c, body) => submitImage.call(backend, c, body),
    wait: (c, submitted, t) => backend.wait(c, submitted, t),
    download: (c, output) => backend.download(c, output),
    price: (query) => backend.price(query),
    // a journaled job that died since (failed, or unknown to the provider) is submitted again, as for text
    ...(backend.usable ? { usable: (c, submitted) => backend.usable!(c, submitted) } : {}),
  };
  return runGeneration(ctx, fromImage, job, timeoutMs);
}
