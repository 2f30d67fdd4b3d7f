import type { BaseModelSpec } from '../catalogue';
import type { ImageSpec } from '../image';
import { decodeInputImage, type InputImage, InputImageError, parseDataUrl } from '../input-image';
import { tagRequest } from '../route-kit';
import { type C, ReasonError, type ScenarioApi } from './http';
import { generatedAssets, type JobRecord, type ModelRecord, modelStatus } from './state';
import { storeUpload } from './training-images';

/** A LoRA as the renderer sees it. */
export type LoraUse = { id: string; strength: number };

/** Checks that `ids` exist, are trained and have one of `allowed` types; returns their records. */
export function resolveLoras(c: C, api: ScenarioApi, ids: string[], allowed: string[]): ModelRecord[] {
  const models = ids.map((id) => api.visibleModel(c, id));
  const invalid = models.filter((m) => !allowed.includes(m.type)).map((m) => m.id);
  if (invalid.length > 0) {
    throw new ReasonError(
      400,
      `Invalid model(s): ${invalid.join(', ')}.\nAllowed model types: ${allowed.join(', ')}`,
    );
  }
  const t = api.now();
  for (const m of models) {
    const status = modelStatus(m, t);
    if (status !== 'trained') throw new ReasonError(400, `Model ${m.id} is not trained (status: ${status})`);
  }
  return models;
}

/** A composition contributes its concepts; a LoRA contributes itself at `scale`. */
export const expand = (model: ModelRecord, scale: number): LoraUse[] =>
  model.concepts
    ? model.concepts.map((k) => ({ id: k.modelId, strength: k.scale * scale }))
    : [{ id: model.id, strength: scale }];

/** Creative units of a generation: per output, plus one quality gate. */
export function generationCost(
  base: BaseModelSpec,
  count: number,
): { cost: number; details: Record<string, number> } {
  const generation = base.price.generation * count;
  return {
    cost: Math.round((generation + base.price.qualityGate) * 100) / 100,
    details: { generation, 'quality-gate': base.price.qualityGate },
  };
}

/** What a generation job renders and records. */
export interface GenerationOrder {
  jobType: string;
  modelId: string;
  prompt: string;
  seed: number;
  count: number;
  width: number;
  height: number;
  loras: LoraUse[];
  input: Record<string, unknown>;
  source: string;
  metadataType: string;
  inferenceId?: string;
  /** The input picture of an img2img or edit generation, and the asset it came from. */
  init?: { spec: NonNullable<ImageSpec['init']>; assetId: string };
}

/** Starts a generation job whose assets appear when it succeeds, `generationMs` from now. */
export function startGeneration(c: C, api: ScenarioApi, o: GenerationOrder): JobRecord {
  const t = api.now();
  const g = api.core.timings.generationMs;
  const jobId = api.core.id('job');
  const job: JobRecord = {
    id: jobId,
    jobType: o.jobType,
    ...api.owner(c),
    createdAt: t,
    plan: [
      { status: 'queued', at: t },
      { status: 'warming-up', at: t + Math.round(g * 0.1) },
      { status: 'in-progress', at: t + Math.round(g * 0.25) },
      { status: 'finalizing', at: t + Math.round(g * 0.9) },
      { status: 'success', at: t + g },
    ],
    assetIds: [],
    input: o.input,
  };
  const empty = api.core.quirks.emptyGenerations > 0 && api.core.quirks.emptyGenerations-- > 0;
  job.assetIds = empty
    ? []
    : generatedAssets(api.core, api.state, {
        owner: api.owner(c),
        count: o.count,
        prompt: o.prompt,
        seed: o.seed,
        width: o.width,
        height: o.height,
        loras: o.loras,
        modelId: o.modelId,
        jobId,
        availableAt: t + g,
        source: o.source,
        metadataType: o.metadataType,
        ...(o.inferenceId !== undefined ? { inferenceId: o.inferenceId } : {}),
        ...(o.init ? { init: o.init.spec, parentId: o.init.assetId } : {}),
      });
  api.state.jobs.set(jobId, job);
  tagRequest(c, { modelId: o.modelId, jobId });
  return job;
}

/** How much of a reference image an edit replaces: FLUX.2 edits keep the picture and change half of it. */
export const EDIT_STRENGTH = 0.5;
/** Scenario's documented default img2img strength. */
export const IMG2IMG_STRENGTH = 0.7;

/** The input fields of `/generate/custom` that carry a picture. */
export interface ImageFields {
  referenceImages?: string[] | undefined;
  image?: string | undefined;
  strength?: number | undefined;
}

function decode(bytes: Uint8Array, field: string) {
  try {
    return decodeInputImage(bytes, field);
  } catch (error) {
    if (error instanceof InputImageError) throw new ReasonError(400, `Input ${error.message}`);
    throw error;
  }
}

/** Refuses picture fields the base model does not take, in its own terms. */
function checkImageFields(base: BaseModelSpec, input: ImageFields): void {
  const given = (['referenceImages', 'image', 'strength'] as const).filter((k) => input[k] !== undefined);
  const allowed =
    base.imageInput === 'image' ? ['image', 'strength'] : base.imageInput ? [base.imageInput] : [];
  const refused = given.find((k) => !allowed.includes(k));
  if (refused !== undefined) {
    const instead = allowed.length > 0 ? `; it takes ${allowed.join(' and ')}` : '';
    throw new ReasonError(400, `Input ${refused} is not supported by ${base.id}${instead}`);
  }
  if (input.strength !== undefined && input.image === undefined) {
    throw new ReasonError(400, 'Input strength requires image');
  }
}

/**
 * The picture a `/generate/custom` call starts from, if any: the first of `referenceImages` (FLUX.2
 * edits; every one must exist and be readable) or `image` (FLUX.1 img2img: an asset id, or a data
 * URL stored as an uploaded asset). Returns the field rewritten as an asset id for the job's echo.
 */
export function resolveInputImage(
  c: C,
  api: ScenarioApi,
  base: BaseModelSpec,
  input: ImageFields,
  dryRun: boolean,
): { init: NonNullable<GenerationOrder['init']>; echo: Record<string, unknown> } | undefined {
  checkImageFields(base, input);
  const references = input.referenceImages ?? [];
  if (references.length > 0) {
    const assets = references.map((id) => api.visibleAsset(c, id));
    const images = assets.map((asset, i) => decode(asset.bytes(), `referenceImages[${i}]`));
    const image = images[0] as NonNullable<(typeof images)[0]>;
    return { init: { spec: { image, strength: EDIT_STRENGTH }, assetId: references[0] as string }, echo: {} };
  }
  if (input.image === undefined) return undefined;
  let assetId = input.image;
  let image: InputImage;
  if (input.image.startsWith('data:')) {
    const upload = parseDataUrl(input.image);
    if (!upload)
      throw new ReasonError(400, 'Input image must be an asset id or a base64 data URL of a PNG image');
    // Decoded before it is stored, so a refused picture leaves no asset behind.
    image = decode(upload.bytes, 'image');
    // A dry run changes nothing, so the picture is checked but not stored.
    const name = 'image.png';
    if (!dryRun) {
      assetId = storeUpload(
        api,
        api.owner(c),
        { name, mime: 'image/png', bytes: upload.bytes },
        'image',
        'a PNG',
      );
    }
  } else {
    image = decode(api.visibleAsset(c, assetId).bytes(), 'image');
  }
  const strength = input.strength ?? IMG2IMG_STRENGTH;
  return { init: { spec: { image, strength }, assetId }, echo: { image: assetId, strength } };
}
