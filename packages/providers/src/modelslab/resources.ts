import { type BaseClient, Resource } from '../base-client';
import type { Download } from '../download';
import { ProviderError } from '../errors';
import type { CallOptions, DownloadCallOptions } from '../options';
import {
  modelslabEndpoints as E,
  type ModelsLabFineTuneInput,
  type ModelsLabImg2ImgInput,
  type ModelsLabText2ImgInput,
  toImageResult,
} from './endpoints';
import {
  type ModelsLabImageResult,
  type ModelsLabPublicModelList,
  type ModelsLabTrainingStatus,
  TRAINING_STAGES,
} from './schemas';

// A 404 whose body is not a vendor JSON answer means the route itself is not served (the other spelling may be).
function isMissingRoute(e: unknown): boolean {
  return e instanceof ProviderError && e.status === 404 && (typeof e.body !== 'object' || e.body === null);
}

/** Calls `first`; when its route is not served at all, `second` (the other documented form). */
async function eitherForm<T>(first: () => Promise<T>, second: () => Promise<T>): Promise<T> {
  try {
    return await first();
  } catch (e) {
    if (!isMissingRoute(e)) throw e;
    return second();
  }
}

/**
 * ModelsLab v6 images: text2img, img2img, fetch, and the download of an output
 * (`modelslab.images`).
 *
 * @example
 * const r = await modelslab.images.text2img({ modelId: 'sdxl', prompt: 'a fox' });
 */
export class ModelsLabImages extends Resource {
  /**
   * Multi-LoRA text-to-image. Sizes and counts are sent as numbers, flags as "yes"/"no", LoRAs as
   * comma-joined `lora_model` / `lora_strength`. Returns `success` or `processing` (then use
   * {@link ModelsLabImages.fetch} or `waitForModelsLabResult`). Not retried once it may have reached the server.
   * @example const r = await modelslab.images.text2img({ modelId: 'sdxl', prompt: 'a fox', width: 512, height: 512, loras: [{ model: 'anime', strength: 0.7 }] });
   */
  text2img(input: ModelsLabText2ImgInput, call?: CallOptions): Promise<ModelsLabImageResult> {
    return this.client.request(E.text2img, { body: input }, call);
  }

  /**
   * Image-to-image (`POST /v6/images/img2img`): `initImage` (an http(s) URL) is the start,
   * `strength` (0..1) how much of it is replaced, with LoRAs as in text2img. Returns `success` or
   * `processing`, like text2img. Not retried once it may have reached the server.
   * @example const r = await modelslab.images.img2img({ modelId: 'sdxl', initImage: url, prompt: 'a watercolour', strength: 0.6 });
   */
  img2img(input: ModelsLabImg2ImgInput, call?: CallOptions): Promise<ModelsLabImageResult> {
    return this.client.request(E.img2img, { body: input }, call);
  }

  /**
   * Fetches a queued generation by id in the form the spec declares (`POST /v6/images/fetch` with
   * `request_id`; falls back to the SDKs' path form `fetch/{id}` when that route is not served). A
   * `processing` answer without an `id` is accepted: the id is the one asked for. Safe to repeat,
   * so retried with backoff.
   * @example const r = await modelslab.images.fetch('12345');
   */
  async fetch(requestId: string | number, call?: CallOptions): Promise<ModelsLabImageResult> {
    const answer = await eitherForm(
      () => this.client.request(E.fetchByRequestId, { body: { request_id: String(requestId) } }, call),
      () => this.client.request(E.fetch, { params: { id: requestId } }, call),
    );
    return toImageResult(answer, String(requestId))!;
  }

  /**
   * Downloads a generated image from an `output` URL through the package's one download path (no key is sent).
   * @example const { bytes } = await modelslab.images.download(result.output[0]!);
   */
  download(url: string, call?: DownloadCallOptions): Promise<Download> {
    return this.client.download(url, call);
  }
}

/**
 * ModelsLab v3 LoRA training: start, status, cancel, list, and the image upload that gives the
 * URLs training (and img2img) need (`modelslab.training`).
 *
 * @example
 * const { trainingId } = await modelslab.training.loraFineTune(input);
 */
export class ModelsLabTraining extends Resource {
  readonly #redact: (text: string) => string;
  constructor(client: BaseClient, redact: (text: string) => string) {
    super(client);
    this.#redact = redact;
  }

  /**
   * Starts a v3 LoRA training (SD 1.5 / SDXL). Returns the `trainingId` to poll with {@link ModelsLabTraining.status}.
   * @example const { trainingId } = await modelslab.training.loraFineTune({ instancePrompt: 'photo of sks dog', classPrompt: 'photo of a dog', images: urls, trainingType: 'null', maxTrainSteps: 20 });
   */
  loraFineTune(
    input: ModelsLabFineTuneInput,
    call?: CallOptions,
  ): Promise<{ trainingId: string; message: string | undefined }> {
    return this.client.request(E.loraFineTune, { body: input }, call);
  }

  /**
   * Reads a v3 training's stage (`messege`: `deploying_gpu` … `model_ready`) and its progress log.
   * @example const s = await modelslab.training.status('F5jvdzGnYi'); if (s.done) useLora('F5jvdzGnYi');
   */
  async status(trainingId: string, call?: CallOptions): Promise<ModelsLabTrainingStatus> {
    const r = await this.client.request(E.fineTuneStatus, { params: { id: trainingId } }, call);
    return {
      stage: r.stage,
      stageIndex: (TRAINING_STAGES as readonly string[]).indexOf(r.stage),
      done: r.stage === 'model_ready',
      // The log is the vendor's free text: it passes the redactor like an error would.
      log: typeof r.data === 'string' ? this.#redact(r.data) : undefined,
    };
  }

  /**
   * Cancels a v3 training (`cancel_training`, falling back to the docs' `cancle_training` spelling on 404).
   * @example await modelslab.training.cancel('F5jvdzGnYi');
   */
  cancel(trainingId: string, call?: CallOptions): Promise<{ message: string | undefined }> {
    const params = { id: trainingId };
    return eitherForm(
      () => this.client.request(E.cancelTraining, { params }, call),
      () => this.client.request(E.cancleTraining, { params }, call),
    );
  }

  /**
   * Lists the account's trained model ids.
   * @example const ids = await modelslab.training.list();
   */
  list(call?: CallOptions): Promise<string[]> {
    return this.client.request(E.finetuneList, {}, call);
  }

  /**
   * Uploads a data-URL image and returns a public URL (what `loraFineTune`'s `images` and img2img's `initImage` need).
   * @example const url = await modelslab.training.base64Crop({ image: 'data:image/png;base64,...', crop: true });
   */
  base64Crop(input: { image: string; crop?: boolean }, call?: CallOptions): Promise<string> {
    return this.client.request(E.base64Crop, { body: input }, call);
  }
}

/**
 * ModelsLab's model catalogue: the public models (`modelslab.models`). The account's own LoRAs are
 * `training.list()` (ids only).
 *
 * @example
 * const { models, skipped } = await modelslab.models.listPublic();
 */
export class ModelsLabModels extends Resource {
  /**
   * Lists the public models with their names and preview URLs (`POST /v4/dreambooth/model_list`; not paged). A row
   * that fails its schema is left out and counted in `skipped`; an answer that is not a list is still an error.
   * @example const { models: [first], skipped } = await modelslab.models.listPublic(); first?.screenshot;
   */
  listPublic(call?: CallOptions): Promise<ModelsLabPublicModelList> {
    return this.client.request(E.publicModelList, {}, call);
  }
}
