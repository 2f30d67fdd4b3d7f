import type { z } from 'zod';
import { type BaseModelSpec, findBaseModel, LORA_FAMILIES } from '../catalogue';
import { fitSize } from '../input-image';
import { nameVariant, pathParam, resource, tagRequest } from '../route-kit';
import { json } from '../vendor-errors';
import {
  expand,
  generationCost,
  type LoraUse,
  resolveInputImage,
  resolveLoras,
  startGeneration,
} from './generation';
import { body, type C, dryRunAnswer, isDryRun, parse, ReasonError, type ScenarioApi } from './http';
import { customSchema, txt2imgSchema } from './schemas';
import { conceptTypeFor, jobView, type ModelRecord, seedFor } from './state';

const LEGACY_TYPES = [
  'flux.1',
  'flux.1-lora',
  'flux.1-composition',
  'sd-xl',
  'sd-xl-lora',
  'sd-xl-composition',
  'sd-1_5',
  'sd-1_5-lora',
  'sd-1_5-composition',
];

/** The base model a legacy txt2img call runs on: the model itself, or a compliant base of its LoRA. */
function legacyBase(model: ModelRecord, requested: string | undefined): BaseModelSpec {
  if (model.base) return model.base;
  const family = LORA_FAMILIES[model.type] ?? LORA_FAMILIES[conceptTypeFor(model.type) ?? ''];
  const compliant = (model.compliantModelIds ?? family?.baseModelIds ?? []).filter(
    (id) => findBaseModel(id)?.route === 'txt2img',
  );
  const baseId = requested ?? compliant[0];
  if (baseId === undefined || !compliant.includes(baseId)) {
    throw new ReasonError(
      400,
      `Input baseModelId ${String(baseId)} is not compliant with ${model.id}; allowed: ${compliant.join(', ')}`,
    );
  }
  const base = findBaseModel(baseId);
  if (!base) throw new ReasonError(400, `Model ${model.id} has no base model`);
  return base;
}

function checkSize(base: BaseModelSpec, sizes: { width: number; height: number }): void {
  for (const [name, v] of Object.entries(sizes)) {
    if (v < base.limits.size[0])
      throw new ReasonError(400, `Input ${name} must be at least ${base.limits.size[0]}`);
    if (v > base.limits.size[1])
      throw new ReasonError(400, `Input ${name} must be at most ${base.limits.size[1]}`);
  }
}

function inferenceView(
  input: z.infer<typeof txt2imgSchema>,
  base: BaseModelSpec,
  o: { id: string; modelId: string; count: number; width: number; height: number; seed: string },
) {
  const concepts = input.concepts ?? [];
  return {
    id: o.id,
    type: 'txt2img',
    prompt: input.prompt,
    modelId: o.modelId,
    numSamples: o.count,
    width: o.width,
    height: o.height,
    guidance: input.guidance ?? base.defaults.guidance,
    numInferenceSteps: input.numInferenceSteps ?? base.defaults.steps,
    seed: o.seed,
    ...(input.negativePrompt !== undefined ? { negativePrompt: input.negativePrompt } : {}),
    ...(concepts.length > 0 ? { concepts } : {}),
  };
}

/** Route A: `POST /generate/txt2img` for Flux.1 / SDXL / SD 1.5 models, LoRAs and compositions. */
async function txt2img(c: C, api: ScenarioApi) {
  const input = parse(txt2imgSchema, (await body(c)) ?? {});
  const model = api.visibleModel(c, input.modelId);
  tagRequest(c, { modelId: model.id });
  if (!LEGACY_TYPES.includes(model.type)) {
    throw new ReasonError(
      400,
      `Invalid model(s): ${model.id}.\nAllowed model types: ${LEGACY_TYPES.join(', ')}`,
    );
  }
  const base = legacyBase(model, input.baseModelId);
  resolveLoras(c, api, model.base ? [] : [model.id], base.loraTypes);
  const conceptType = base.loraTypes.find((t) => t.endsWith('-lora')) ?? '';
  const concepts = input.concepts ?? [];
  resolveLoras(
    c,
    api,
    concepts.map((k) => k.modelId),
    [conceptType],
  );
  const width = input.width ?? base.defaults.width;
  const height = input.height ?? base.defaults.height;
  checkSize(base, { width, height });
  const count = input.numSamples ?? 4;
  const { cost, details } = generationCost(base, count);
  if (isDryRun(c)) {
    nameVariant(c, 'dryRun');
    return dryRunAnswer(cost, details);
  }
  const inferenceId = api.core.id('inf');
  const loras = [
    ...(model.base ? [] : expand(model, 1)),
    ...concepts.map((k) => ({ id: k.modelId, strength: k.scale })),
  ];
  const provisional = api.core.id('seed');
  const seed = input.seed !== undefined ? Number(input.seed) : seedFor(api.core, provisional);
  const job = startGeneration(c, api, {
    jobType: 'inference',
    modelId: model.id,
    prompt: input.prompt,
    seed,
    count,
    width,
    height,
    loras,
    input: { ...input, seed: String(seed) },
    source: 'inference-txt',
    metadataType: 'inference-txt2img',
    inferenceId,
  });
  const seedText = String(seed);
  return json({
    inference: inferenceView(input, base, {
      id: inferenceId,
      modelId: model.id,
      count,
      width,
      height,
      seed: seedText,
    }),
    job: jobView(api.state, job, api.now()),
    creativeUnitsCost: cost,
    creativeUnitsDiscount: 0,
  });
}

/**
 * The LoRAs of a route B call: `modelId` first at scale 1 (a composition brings its own scales);
 * a missing or short `lorasScale` was accepted by the vendor's dry run, so missing scales are 1.
 */
function customLoras(
  models: ModelRecord[],
  input: { modelId?: string | undefined; loras?: string[] | undefined; lorasScale?: number[] | undefined },
): LoraUse[] {
  const loras: LoraUse[] = [];
  const first = input.modelId ? models[0] : undefined;
  if (first && !(first.concepts && (input.loras ?? []).length > 0)) loras.push(...expand(first, 1));
  const rest = input.modelId ? models.slice(1) : models;
  rest.forEach((m, i) => {
    loras.push(...expand(m, input.lorasScale?.[i] ?? 1));
  });
  return loras;
}

/** Route B: `POST /generate/custom/{baseModelId}`, with img2img (`image`) or edits (`referenceImages`). */
async function custom(c: C, api: ScenarioApi) {
  const baseId = pathParam(c, 'modelId');
  tagRequest(c, { modelId: baseId });
  const baseModel = api.visibleModel(c, baseId);
  if (!baseModel.custom || !baseModel.base) {
    throw new ReasonError(400, 'Custom models only are supported for this endpoint');
  }
  const base = baseModel.base;
  const input = parse(customSchema(base), (await body(c)) ?? {});
  for (const [i, s] of (input.lorasScale ?? []).entries()) {
    // Scales move in steps of 0.05 (PROVIDERS.md §1.6); the tolerance absorbs binary fractions.
    if (Math.abs(s * 20 - Math.round(s * 20)) > 1e-6) {
      throw new ReasonError(400, `Input lorasScale[${i}] must be a multiple of 0.05`);
    }
  }
  const ids = [...(input.modelId ? [input.modelId] : []), ...(input.loras ?? [])];
  const models = resolveLoras(c, api, ids, base.loraTypes);
  const picture = resolveInputImage(c, api, base, input, isDryRun(c));
  const count = input.numOutputs ?? 1;
  const { cost, details } = generationCost(base, count);
  if (isDryRun(c)) {
    nameVariant(c, 'dryRun');
    return dryRunAnswer(cost, details);
  }
  // An input picture sets the output size unless the call gives one, as image-to-image models do.
  const fitted = picture
    ? fitSize(picture.init.spec.image.width, picture.init.spec.image.height, {
        min: base.limits.size[0],
        max: base.limits.size[1],
        multiple: base.limits.sizeMultiple,
      })
    : { width: base.defaults.width, height: base.defaults.height };
  const provisional = api.core.id('seed');
  const seed = input.seed ?? seedFor(api.core, provisional);
  const job = startGeneration(c, api, {
    jobType: 'custom',
    modelId: baseId,
    prompt: input.prompt,
    seed,
    count,
    width: input.width ?? fitted.width,
    height: input.height ?? fitted.height,
    loras: customLoras(models, input),
    input: { ...input, ...picture?.echo, seed },
    source: picture ? 'img2img' : 'txt2img',
    metadataType: picture ? 'img2img' : 'txt2img',
    ...(picture ? { init: picture.init } : {}),
  });
  return json({ job: jobView(api.state, job, api.now()), creativeUnitsCost: cost, creativeUnitsDiscount: 0 });
}

/** Generation: the legacy txt2img route and the custom-model route. */
export const generate = resource<ScenarioApi>('scenario.generate')
  .post('txt2img', '/generate/txt2img', txt2img)
  .post('custom', '/generate/custom/:modelId', custom);
