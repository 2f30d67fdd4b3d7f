import {
  defineNode,
  type JsonValue,
  type NodeContext,
  NodeRunError,
  type PortType,
  type RuleProblem,
} from '@loraflow/core';
import {
  type ModelsLabClient,
  type ScenarioClient,
  waitForJob,
  waitForModelsLabResult,
} from '@loraflow/providers';
import { z } from 'zod';
import {
  FAMILIES,
  familiesCompatible,
  familyLabel,
  listAnd,
  modelTypeInfo,
  providerLabel,
} from '../families';
import { typeParam } from '../port-rules';
import { createOnce } from '../scenario-ops';
import { NODE_ERROR_CODES, need, polling, pollOptions, signalOf } from '../services';
import { imagesType, loraInputType, textType } from '../types';
import { type ImagesValue, type LoraValue, loraValueSchema, readInput } from '../values';
import { type EstimateArgs, scenarioEstimate } from './estimate';

/**
 * Strength of one LoRA at this generation: Scenario's `lorasScale` range; ModelsLab takes 0.1..1 (checked at run).
 *
 * @example
 * generationStrength.parse({ strength: 0.8 }); // { strength: 0.8 }
 */
export const generationStrength = z.object({
  strength: z
    .number()
    .min(0)
    .max(2)
    .multipleOf(0.05)
    .default(1)
    .describe('Strength of this LoRA (Scenario 0..2, ModelsLab 0.1..1).'),
});

/**
 * Limits per route, from PROVIDERS.md §1.6 (Scenario) and §2.2 (ModelsLab).
 *
 * @example
 * GENERATION_LIMITS.modelslab.size; // [256, 1024]
 */
export const GENERATION_LIMITS = {
  modelslab: {
    size: [256, 1024],
    multiple: 8,
    samples: 4,
    steps: [1, 50],
    guidance: [1, 20],
    strength: [0.1, 1],
  },
  txt2img: {
    size: [64, 2048],
    multiple: 8,
    samples: 4,
    steps: [1, 150],
    guidance: [0, 20],
    strength: [-2, 2],
  },
  custom: {
    size: [128, 2048],
    multiple: 16,
    samples: 4,
    steps: [1, 100],
    guidance: [0, 10],
    strength: [0, 2],
  },
} as const;
type RouteName = keyof typeof GENERATION_LIMITS;

const params = z.object({
  prompt: z
    .string()
    .max(10_000)
    .default('')
    .describe('The prompt (a connected prompt input takes precedence).'),
  negativePrompt: z
    .string()
    .max(10_000)
    .optional()
    .describe('What to avoid (ignored by FLUX.2 and other custom routes).'),
  width: z
    .number()
    .int()
    .min(64)
    .max(2048)
    .multipleOf(8)
    .default(1024)
    .describe('Width in pixels (ModelsLab: at most 1024).'),
  height: z
    .number()
    .int()
    .min(64)
    .max(2048)
    .multipleOf(8)
    .default(1024)
    .describe('Height in pixels (ModelsLab: at most 1024).'),
  samples: z.number().int().min(1).max(4).default(1).describe('How many images.'),
  steps: z
    .number()
    .int()
    .min(1)
    .max(150)
    .optional()
    .describe('Inference steps (the base model default when unset).'),
  guidance: z
    .number()
    .min(0)
    .max(20)
    .optional()
    .describe('Guidance scale (the base model default when unset).'),
  seed: z
    .number()
    .int()
    .min(0)
    .max(2_147_483_647)
    .optional()
    .describe('Seed; a seeded generation is cached, an unseeded one runs again every run.'),
  scheduler: z.string().max(100).optional().describe('Scheduler name (Scenario route A and ModelsLab).'),
  baseModelId: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe(
      'Base model: ModelsLab `model_id`, or the Scenario custom-route base model; defaults per family.',
    ),
  timeoutMinutes: z.number().min(1).max(120).default(10).describe('How long to wait for the images.'),
});
type Params = z.output<typeof params>;

/** The route a set of LoRA types leads to, or the problem that prevents choosing one. */
function routeOf(
  types: readonly PortType[],
): { route: RouteName; family: string; provider: string } | RuleProblem | undefined {
  if (types.length === 0) return undefined;
  const providers = [...new Set(types.map((t) => typeParam(t, 'provider') ?? 'unknown'))];
  if (providers.length > 1) {
    return {
      code: NODE_ERROR_CODES.mixedProviders,
      message: `One generation runs on one provider, but these LoRAs are on ${listAnd(providers.map(providerLabel))}.`,
      path: ['inputs', 'loras'],
    };
  }
  const families = [...new Set(types.map((t) => typeParam(t, 'family') ?? 'unknown'))];
  const family = families[0]!;
  if (families.some((f) => !familiesCompatible(f, family))) {
    return {
      code: NODE_ERROR_CODES.mixedFamilies,
      message: `One generation uses LoRAs of one base family, but these are ${listAnd(families.map(familyLabel))}.`,
      path: ['inputs', 'loras'],
    };
  }
  const provider = providers[0]!;
  if (provider === 'modelslab') return { route: 'modelslab', family, provider };
  const route = FAMILIES[family]?.scenarioRoute;
  if (!route) {
    return {
      code: NODE_ERROR_CODES.noRoute,
      message: `Scenario has no LoRA generation route for ${familyLabel(family)} LoRAs.`,
      path: ['inputs', 'loras'],
    };
  }
  return { route: route.kind === 'txt2img' ? 'txt2img' : 'custom', family, provider };
}

function limitProblems(p: Params, route: RouteName): RuleProblem[] {
  const l = GENERATION_LIMITS[route];
  const where =
    route === 'modelslab'
      ? 'ModelsLab'
      : route === 'custom'
        ? 'Scenario custom generation'
        : 'Scenario txt2img';
  const out: RuleProblem[] = [];
  for (const side of ['width', 'height'] as const) {
    const v = p[side];
    if (v < l.size[0] || v > l.size[1] || v % l.multiple !== 0) {
      out.push({
        code: NODE_ERROR_CODES.sizeRange,
        message: `${side} ${v} is outside what ${where} takes: ${l.size[0]}..${l.size[1]}, a multiple of ${l.multiple}.`,
        path: ['params', side],
      });
    }
  }
  if (p.samples > l.samples) {
    out.push({
      code: NODE_ERROR_CODES.samplesRange,
      message: `${where} makes at most ${l.samples} images per call.`,
      path: ['params', 'samples'],
    });
  }
  if (p.steps !== undefined && (p.steps < l.steps[0] || p.steps > l.steps[1])) {
    out.push({
      code: NODE_ERROR_CODES.stepsRange,
      message: `${where} takes ${l.steps[0]}..${l.steps[1]} steps, not ${p.steps}.`,
      path: ['params', 'steps'],
    });
  }
  if (p.guidance !== undefined && (p.guidance < l.guidance[0] || p.guidance > l.guidance[1])) {
    out.push({
      code: NODE_ERROR_CODES.guidanceRange,
      message: `${where} takes guidance ${l.guidance[0]}..${l.guidance[1]}, not ${p.guidance}.`,
      path: ['params', 'guidance'],
    });
  }
  return out;
}

/**
 * `generate.multiLora`: images from a prompt with several LoRAs, each with its own strength.
 * Routes by the LoRAs' provider and family: ModelsLab text2img, Scenario `generate/txt2img`
 * (FLUX.1, SDXL, SD 1.5) or Scenario `generate/custom/{base}` (FLUX.2, Qwen-Image, Z-Image…).
 * The images are downloaded into the run's store. A seeded generation is cached; an unseeded
 * one runs again every run.
 *
 * @example
 * { "id": "gen", "type": "generate.multiLora", "params": { "prompt": "a fox", "width": 1024, "height": 768, "seed": 7 } }
 * // edges into gen.loras carry { "settings": { "strength": 0.8 } }
 */
export const generateMultiLora = defineNode({
  type: 'generate.multiLora',
  version: 1,
  title: 'Generate with LoRAs',
  category: 'Generate',
  description:
    'Generates images with up to six LoRAs, each at its own strength, on ModelsLab or Scenario according to the LoRAs. Cached when seeded; unseeded, it runs again every run.',
  params,
  inputs: {
    loras: { type: loraInputType(), multiple: true, max: 6, settings: generationStrength, label: 'LoRAs' },
    prompt: { type: textType(), optional: true, label: 'Prompt' },
  },
  outputs: { images: { type: imagesType(), label: 'Images' } },
  cache: (p) => (p.seed === undefined ? 'run' : 'pure'),
  sideEffects: true,
  resources: () => ['provider:scenario', 'provider:modelslab'],
  validate({ params: p, inputTypes, inputSettings }) {
    const problems: RuleProblem[] = [];
    if (p.prompt.trim() === '' && (inputTypes.prompt ?? []).length === 0) {
      problems.push({
        code: NODE_ERROR_CODES.noPrompt,
        message: 'A generation needs a prompt: type one in the node or connect a prompt.',
        path: ['params', 'prompt'],
      });
    }
    const r = routeOf(inputTypes.loras ?? []);
    if (r && 'code' in r) problems.push(r);
    else if (r) {
      problems.push(...limitProblems(p, r.route));
      problems.push(...strengthProblems(r.route, inputTypes.loras ?? [], inputSettings.loras ?? []));
    }
    return problems;
  },
  estimate: (args: EstimateArgs) =>
    scenarioEstimate(args, async (scenario) => {
      const loras = (
        (args.inputs.loras as Array<{ value?: unknown; settings?: unknown }> | undefined) ?? []
      ).map((i) => ({
        lora: loraValueSchema.safeParse(i.value),
        settings: i.settings,
      }));
      const p = params.parse(args.params);
      if (loras.length === 0 || loras.some((l) => !l.lora.success)) return priceByType(scenario, p, args);
      const items = loras.map((l) => ({
        lora: l.lora.data as LoraValue,
        strength: generationStrength.parse(l.settings ?? {}).strength,
      }));
      if (items[0]!.lora.provider !== 'scenario') return undefined;
      const plan = scenarioRequest(p, p.prompt || 'estimate', items);
      return plan.route === 'txt2img'
        ? scenario.generateTxt2img(plan.body, { dryRun: true })
        : scenario.generateCustom(plan.baseModelId, plan.body, { dryRun: true });
    }),
  async run(ctx) {
    const p = ctx.params;
    const items = ctx.inputs.loras.map((item, i) => ({
      lora: readInput(loraValueSchema, item.value, `loras[${i}]`),
      strength: generationStrength.parse(item.settings ?? {}).strength,
    }));
    const connected = ctx.inputs.prompt;
    const prompt = typeof connected === 'string' && connected.trim() !== '' ? connected : p.prompt;
    if (prompt.trim() === '') {
      throw new NodeRunError(
        NODE_ERROR_CODES.noPrompt,
        'A generation needs a prompt: type one in the node or connect a prompt.',
      );
    }
    const r = routeOf(
      items.map((it) => ({ kind: 'lora', params: { provider: it.lora.provider, family: it.lora.family } })),
    );
    if (!r)
      throw new NodeRunError(
        NODE_ERROR_CODES.inputMissing,
        'A generation needs at least one LoRA on its "loras" input.',
      );
    if ('code' in r) throw new NodeRunError(r.code, r.message);
    const problems = limitProblems(p, r.route);
    if (problems[0]) throw new NodeRunError(problems[0].code, problems[0].message);
    if (r.route === 'modelslab') {
      const [lo, hi] = GENERATION_LIMITS.modelslab.strength;
      const bad = items.findIndex((it) => it.strength < lo || it.strength > hi);
      if (bad >= 0) {
        throw new NodeRunError(
          NODE_ERROR_CODES.strengthRange,
          `LoRA ${bad + 1} (${items[bad]!.lora.id}) has strength ${items[bad]!.strength}; ModelsLab takes ${lo}..${hi}.`,
        );
      }
      return { images: await runModelsLab(ctx, need(ctx, 'modelslab'), p, prompt, items, r.family) };
    }
    return { images: await runScenario(ctx, need(ctx, 'scenario'), p, prompt, items) };
  },
});

type Ctx = Pick<NodeContext, 'effect' | 'blobs' | 'signal' | 'progress' | 'services' | 'log'>;
/**
 * Strength rules a run would refuse, caught before anything is trained or paid for: ModelsLab's
 * 0.1..1, and a Scenario composition, which runs as the model itself at full strength.
 */
function strengthProblems(
  route: RouteName,
  types: readonly PortType[],
  settings: ReadonlyArray<Record<string, unknown>>,
): RuleProblem[] {
  const problems: RuleProblem[] = [];
  for (const [index, s] of settings.entries()) {
    const parsed = generationStrength.safeParse(s);
    if (!parsed.success) continue; // the settings schema reports it, with its own path
    const strength = parsed.data.strength;
    const connection = { port: 'loras', index };
    if (route === 'modelslab') {
      const [lo, hi] = GENERATION_LIMITS.modelslab.strength;
      if (strength < lo || strength > hi) {
        problems.push({
          code: NODE_ERROR_CODES.strengthRange,
          message: `LoRA ${index + 1} has strength ${strength}; ModelsLab takes ${lo}..${hi}.`,
          path: ['settings', 'strength'],
          connection,
        });
      }
    } else if (
      FAMILIES[typeParam(types[index]!, 'family') ?? '']?.scenarioRoute?.kind !== 'custom' &&
      modelTypeInfo(typeParam(types[index]!, 'modelType') ?? '').kind === 'composition' &&
      strength !== 1
    ) {
      problems.push({
        code: NODE_ERROR_CODES.strengthRange,
        message: `On Scenario's txt2img route a composition is the model itself and runs at full strength, so its strength must be 1 (it is ${strength}); set the scales inside the composition instead.`,
        path: ['settings', 'strength'],
        connection,
      });
    }
  }
  return problems;
}

type Item = { lora: LoraValue; strength: number };

/** Base model of Scenario's custom route for FLUX.1 LoRAs, used when route A cannot honour a strength. */
const FLUX1_CUSTOM_BASE = 'model_bfl-flux-1-dev';

/**
 * The price of a generation whose LoRAs do not exist yet (they train in this run): Scenario prices a
 * generation by its base model, not by its LoRAs (PROVIDERS.md §1.6, "regardless of LoRA count"),
 * so the dry run asks for the family's base model with no LoRAs. The family comes from the
 * connection's type. FLUX.1 LoRAs, which usually go through txt2img with the LoRA as the model,
 * are priced as the same generation on the FLUX.1 [dev] base. Other families: unknown.
 */
async function priceByType(scenario: ScenarioClient, p: Params, args: EstimateArgs) {
  const first = args.inputTypes?.loras?.[0]?.params as { provider?: unknown; family?: unknown } | undefined;
  if (first?.provider !== 'scenario' || typeof first.family !== 'string') return undefined;
  const route = FAMILIES[first.family]?.scenarioRoute;
  const base =
    p.baseModelId ??
    (route?.kind === 'custom'
      ? route.baseModelId
      : familiesCompatible(first.family, 'flux.1')
        ? FLUX1_CUSTOM_BASE
        : undefined);
  if (!base) return undefined;
  return scenario.generateCustom(base, customBody(p, p.prompt || 'estimate', []), { dryRun: true });
}

function customBody(p: Params, prompt: string, items: Item[]) {
  return {
    prompt,
    loras: items.map((it) => it.lora.id),
    lorasScale: items.map((it) => it.strength),
    numOutputs: p.samples,
    width: p.width,
    height: p.height,
    ...(p.steps !== undefined ? { numInferenceSteps: p.steps } : {}),
    ...(p.guidance !== undefined ? { guidance: p.guidance } : {}),
    ...(p.seed !== undefined ? { seed: p.seed } : {}),
  };
}

function scenarioRequest(p: Params, prompt: string, items: Item[]) {
  const family = items[0]!.lora.family;
  const route = FAMILIES[family]?.scenarioRoute;
  if (route?.kind === 'custom') {
    return {
      route: 'custom' as const,
      baseModelId: p.baseModelId ?? route.baseModelId,
      body: customBody(p, prompt, items),
    };
  }
  const isComposition = (it: Item) => modelTypeInfo(it.lora.modelType ?? '').kind === 'composition';
  const compositions = items.filter(isComposition);
  if (compositions.length > 1) {
    throw new NodeRunError(
      NODE_ERROR_CODES.oneComposition,
      `Scenario generates with one composition at a time, and ${compositions.length} are connected; compose them into one.`,
    );
  }
  // Route A: the model (a composition, or else the first LoRA) runs at full strength, the others ride along as concepts.
  const [first, ...rest] = [...compositions, ...items.filter((it) => !isComposition(it))];
  if (first!.strength !== 1) {
    if (!isComposition(first!) && familiesCompatible(family, 'flux.1')) {
      return {
        route: 'custom' as const,
        baseModelId: p.baseModelId ?? FLUX1_CUSTOM_BASE,
        body: customBody(p, prompt, items),
      };
    }
    throw new NodeRunError(
      NODE_ERROR_CODES.strengthRange,
      `On Scenario's txt2img route ${first!.lora.id} is the model itself and runs at full strength, so its strength must be 1 (it is ${first!.strength}); ${isComposition(first!) ? 'set the scales inside the composition instead' : 'connect a LoRA at strength 1 first'}.`,
    );
  }
  const body = {
    modelId: first!.lora.id,
    prompt,
    numSamples: p.samples,
    width: p.width,
    height: p.height,
    ...(p.negativePrompt ? { negativePrompt: p.negativePrompt } : {}),
    ...(p.steps !== undefined ? { numInferenceSteps: p.steps } : {}),
    ...(p.guidance !== undefined ? { guidance: p.guidance } : {}),
    ...(p.seed !== undefined ? { seed: p.seed } : {}),
    ...(p.scheduler ? { scheduler: p.scheduler } : {}),
    ...(rest.length > 0 ? { concepts: rest.map((it) => ({ modelId: it.lora.id, scale: it.strength })) } : {}),
  };
  return { route: 'txt2img' as const, body };
}

async function runScenario(
  ctx: Ctx,
  scenario: ScenarioClient,
  p: Params,
  prompt: string,
  items: Item[],
): Promise<ImagesValue> {
  const signal = signalOf(ctx);
  const plan = scenarioRequest(p, prompt, items);
  if (plan.route === 'custom' && p.negativePrompt) {
    ctx.log.warn('The negative prompt is ignored: Scenario custom generation has no negative prompt.');
  }
  const submitted = await ctx.effect<{ jobId: string }>('submit', {
    intent: { route: plan.route, body: plan.body } as unknown as JsonValue,
    // A generation has no tag to find it by: after an ambiguous failure it is submitted again (images, not models).
    perform: () =>
      createOnce(ctx, {
        attempt: async () => {
          const r =
            plan.route === 'txt2img'
              ? await scenario.generateTxt2img(plan.body, {}, { signal })
              : await scenario.generateCustom(plan.baseModelId, plan.body, {}, { signal });
          return { jobId: r.job.jobId };
        },
        find: async () => undefined,
      }),
  });
  ctx.progress(0.05, 'generation submitted');
  const job = await waitForJob({
    ...pollOptions(polling(ctx)),
    client: scenario,
    jobId: submitted.jobId,
    timeoutMs: p.timeoutMinutes * 60_000,
    signal,
    cancelOnAbort: true,
    onProgress: (j) =>
      ctx.progress(0.05 + 0.8 * Math.min(1, j.progress ?? 0), `generation ${j.status ?? 'pending'}`),
  });
  if (job.status !== 'success') {
    throw new NodeRunError(
      NODE_ERROR_CODES.generationFailed,
      `Scenario generation job ${job.jobId} ended "${job.status}"${job.metadata?.error ? `: ${job.metadata.error}` : ''}.`,
    );
  }
  const images: ImagesValue = [];
  const assetIds = job.metadata?.assetIds ?? [];
  for (const [i, assetId] of assetIds.entries()) {
    const asset = await scenario.getAsset(assetId, { signal });
    const { bytes, mimeType } = await scenario.downloadAsset(asset, { signal });
    const blob = await ctx.blobs.put(bytes, mimeType ?? asset.mimeType ?? 'image/png');
    const image: ImagesValue[number] = { blob, provider: 'scenario', assetId };
    if (p.seed !== undefined) image.seed = p.seed;
    if (asset.properties?.width) image.width = asset.properties.width;
    if (asset.properties?.height) image.height = asset.properties.height;
    images.push(image);
    ctx.progress(
      0.85 + (0.15 * (i + 1)) / assetIds.length,
      `downloaded ${i + 1} of ${assetIds.length} images`,
    );
  }
  return images;
}

async function runModelsLab(
  ctx: Ctx,
  modelslab: ModelsLabClient,
  p: Params,
  prompt: string,
  items: Item[],
  family: string,
): Promise<ImagesValue> {
  const signal = signalOf(ctx);
  const modelId = p.baseModelId ?? FAMILIES[family]?.modelslabBaseModel ?? 'sdxl';
  const body = {
    modelId,
    prompt,
    width: p.width,
    height: p.height,
    samples: p.samples,
    seed: p.seed ?? null,
    loras: items.map((it) => ({ model: it.lora.id, strength: it.strength })),
    ...(p.negativePrompt ? { negativePrompt: p.negativePrompt } : {}),
    ...(p.steps !== undefined ? { numInferenceSteps: p.steps } : {}),
    ...(p.guidance !== undefined ? { guidanceScale: p.guidance } : {}),
    ...(p.scheduler ? { scheduler: p.scheduler } : {}),
  };
  const submitted = await ctx.effect<{ id: string | null; output: string[]; etaMs: number | null }>(
    'submit',
    {
      intent: body as unknown as JsonValue,
      perform: async () => {
        const r = await modelslab.text2img(body, { signal });
        return r.status === 'success'
          ? { id: r.id ?? null, output: r.output, etaMs: null }
          : { id: r.id, output: [], etaMs: r.etaMs ?? null };
      },
    },
  );
  let urls = submitted.output;
  if (urls.length === 0 && submitted.id !== null) {
    ctx.progress(0.1, 'ModelsLab is processing');
    const done = await waitForModelsLabResult({
      ...pollOptions(polling(ctx)),
      client: modelslab,
      id: submitted.id,
      etaMs: submitted.etaMs ?? undefined,
      timeoutMs: p.timeoutMinutes * 60_000,
      signal,
      onProgress: (s) =>
        ctx.progress(
          0.1,
          `ModelsLab ${s.status}${s.etaMs ? `, about ${Math.ceil(s.etaMs / 1000)} s left` : ''}`,
        ),
    });
    urls = done.output;
  }
  if (urls.length === 0) {
    throw new NodeRunError(
      NODE_ERROR_CODES.generationFailed,
      'ModelsLab answered success but returned no images.',
    );
  }
  const images: ImagesValue = [];
  for (const [i, url] of urls.entries()) {
    const { bytes, mimeType } = await modelslab.downloadOutput(url, { signal });
    const blob = await ctx.blobs.put(bytes, mimeType ?? 'image/png');
    const image: ImagesValue[number] = { blob, provider: 'modelslab' };
    if (p.seed !== undefined) image.seed = p.seed;
    images.push(image);
    ctx.progress(0.85 + (0.15 * (i + 1)) / urls.length, `downloaded ${i + 1} of ${urls.length} images`);
  }
  return images;
}
