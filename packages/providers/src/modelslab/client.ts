import { z } from 'zod';
import { BaseClient, type OutgoingRequest } from '../base-client';
import type { Download } from '../download';
import { modelsLabBodyError, ProviderError, vendorReason } from '../errors';
import { parseRequest } from '../http';
import { type CallOptions, type CommonClientOptions, commonOptionsShape } from '../options';
import { createRedactor, type Redactor } from '../redact';
import type { ModelsLabFineTuneInput, ModelsLabText2ImgInput } from './endpoints';
import { ModelsLabImages, ModelsLabModels, ModelsLabTraining } from './resources';
import type { ModelsLabImageResult, ModelsLabTrainingStatus } from './schemas';

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

/**
 * A client for ModelsLab's v6 images (text2img, img2img, fetch) and v3 LoRA training, as resources
 * over the package's base client: `images` and `training`. The key travels in the JSON body as
 * ModelsLab documents; `status:"error"` answers (even on HTTP 200) become `ProviderError`s, and no
 * error ever contains the key. The flat methods (`text2img`, `fetch`, ...) are the same calls
 * under their first names.
 *
 * @example
 * const ml = new ModelsLabClient({ apiKey: process.env.MODELSLAB_API_KEY! });
 * const first = await ml.images.text2img({ modelId: 'sdxl', prompt: 'a lighthouse', loras: [{ model: 'more_details', strength: 0.6 }] });
 * const done = first.status === 'success' ? first : await waitForModelsLabResult({ client: ml, id: first.id, etaMs: first.etaMs });
 */
export class ModelsLabClient extends BaseClient {
  /** v6 images: text2img, img2img, fetch, download. */
  readonly images: ModelsLabImages;
  /** v3 LoRA training: start, status, cancel, list, base64Crop. */
  readonly training: ModelsLabTraining;
  /** The public model catalogue. */
  readonly models: ModelsLabModels;
  readonly #key: string;

  constructor(options: ModelsLabClientOptions) {
    const raw = (options ?? {}) as Partial<ModelsLabClientOptions>;
    const redactor = createRedactor(typeof raw.apiKey === 'string' ? [raw.apiKey] : []);
    const o = parseRequest(optionsSchema, options, 'modelslab', 'client options', redactor);
    super({
      provider: 'modelslab',
      baseUrl: o.baseUrl ?? MODELSLAB_BASE_URL,
      redactor,
      options: o,
      retry: options.retry,
    });
    this.#key = o.apiKey;
    this.images = new ModelsLabImages(this);
    this.training = new ModelsLabTraining(this, (text) => this.redactor.text(text));
    this.models = new ModelsLabModels(this);
  }

  protected override authorize(request: OutgoingRequest): void {
    request.body = { key: this.#key, ...(request.body as Record<string, unknown> | undefined) };
  }

  protected override bodyError(
    body: unknown,
    status: number,
    headers: Headers,
    operation: string,
    redactor: Redactor,
  ): ProviderError | undefined {
    if (!body || typeof body !== 'object') return undefined;
    const s = (body as { status?: unknown }).status;
    if (s === 'error') return modelsLabBodyError(body, redactor, status, this.now(), operation, headers);
    if (s !== 'failed') return undefined;
    const reason = vendorReason(redactor.value(body));
    return new ProviderError({
      provider: 'modelslab',
      status,
      code: 'job_failed',
      retryable: false,
      reason,
      body: redactor.value(body),
      message: `ModelsLab reported that ${redactor.text(operation)} failed${reason ? `: ${reason}` : '.'}`,
    });
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

  // The first names of the calls, kept for the callers that use them: each is one resource call.

  /**
   * Same as `images.text2img`.
   * @example const r = await ml.text2img({ modelId: 'sdxl', prompt: 'a fox', loras: [{ model: 'anime', strength: 0.7 }] });
   */
  text2img(input: ModelsLabText2ImgInput, call?: CallOptions): Promise<ModelsLabImageResult> {
    return this.images.text2img(input, call);
  }

  /**
   * Same as `images.fetch`.
   * @example const r = await ml.fetch('12345');
   */
  fetch(requestId: string | number, call?: CallOptions): Promise<ModelsLabImageResult> {
    return this.images.fetch(requestId, call);
  }

  /**
   * Same as `images.download`: an `output` URL through the one download path, without the key.
   * @example const { bytes } = await ml.downloadOutput(result.output[0]!);
   */
  downloadOutput(url: string, call?: CallOptions): Promise<Download> {
    return this.images.download(url, call);
  }

  /**
   * Same as `training.loraFineTune`.
   * @example const { trainingId } = await ml.loraFineTune({ instancePrompt: 'photo of sks dog', classPrompt: 'photo of a dog', images: urls, trainingType: 'null', maxTrainSteps: 20 });
   */
  loraFineTune(
    input: ModelsLabFineTuneInput,
    call?: CallOptions,
  ): Promise<{ trainingId: string; message: string | undefined }> {
    return this.training.loraFineTune(input, call);
  }

  /**
   * Same as `training.status`.
   * @example const s = await ml.fineTuneStatus('F5jvdzGnYi'); if (s.done) useLora('F5jvdzGnYi');
   */
  fineTuneStatus(trainingId: string, call?: CallOptions): Promise<ModelsLabTrainingStatus> {
    return this.training.status(trainingId, call);
  }

  /**
   * Same as `training.cancel`.
   * @example await ml.cancelTraining('F5jvdzGnYi');
   */
  cancelTraining(trainingId: string, call?: CallOptions): Promise<{ message: string | undefined }> {
    return this.training.cancel(trainingId, call);
  }

  /**
   * Same as `training.list`.
   * @example const ids = await ml.finetuneList();
   */
  finetuneList(call?: CallOptions): Promise<string[]> {
    return this.training.list(call);
  }

  /**
   * Same as `training.base64Crop`.
   * @example const url = await ml.base64Crop({ image: 'data:image/png;base64,...', crop: true });
   */
  base64Crop(input: { image: string; crop?: boolean }, call?: CallOptions): Promise<string> {
    return this.training.base64Crop(input, call);
  }
}
