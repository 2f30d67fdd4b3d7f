import { type JsonValue, type NodeContext, NodeRunError } from '@loraflow/core';
import type { CostEstimate } from '@loraflow/providers';
import { type Provider, providerLabel } from '../families';
import { NODE_ERROR_CODES } from '../services';
import type { ImagesValue } from '../values';
import type { GenerationPlan, GenerationSettings } from './rules';

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
 * the images, so a backend holds only what differs between providers. Decision 0021.
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
