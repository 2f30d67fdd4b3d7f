/**
 * The generation rules, written once: which provider route a set of LoRAs leads to, each route's
 * limits, and the strength rules. The nodes' `validate` asks them with the connections' types and
 * settings before anything runs; `run` asks them again with the LoRAs' values; the backends only
 * turn the resulting plan into a provider request. Pure data and functions (no provider code), so
 * the definitions-only entry ships them to an editor page.
 */
import type { RuleProblem } from '@loraflow/core';
import { z } from 'zod/mini';
import {
  FAMILIES,
  familiesCompatible,
  familyLabel,
  familyOfModelType,
  isEditType,
  listAnd,
  modelTypeInfo,
  providerLabel,
  SCENARIO_MODEL_TYPES,
} from '../families';
import { type PortTypeLike, typeParam } from '../port-rules';
import { NODE_ERROR_CODES } from '../services';

/**
 * Strength of one LoRA at this generation: Scenario's `lorasScale` range; ModelsLab takes 0.1..1 (a rule).
 *
 * @example
 * generationStrength.parse({ strength: 0.8 }); // { strength: 0.8 }
 */
export const generationStrength = z.object({
  strength: z
    ._default(z.number().check(z.gte(0), z.lte(2), z.multipleOf(0.05)), 1)
    .check(z.describe('Strength of this LoRA (Scenario 0..2, ModelsLab 0.1..1).')),
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
    // 1..50 is the FLUX spec's range for `flux`; every other model takes only `documentedSteps` (decision 0028).
    steps: [1, 50],
    documentedSteps: [21, 31, 41],
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

/**
 * A provider route a generation can take: a key of {@link GENERATION_LIMITS}.
 *
 * @example
 * const route: GenerationRoute = 'custom';
 */
export type GenerationRoute = keyof typeof GENERATION_LIMITS;

const ROUTE_LABELS: Readonly<Record<GenerationRoute, string>> = {
  modelslab: 'ModelsLab',
  txt2img: 'Scenario txt2img',
  custom: 'Scenario custom generation',
};

/**
 * Base model of Scenario's custom route for FLUX.1 LoRAs, used when route A cannot honour a strength.
 *
 * @example
 * FLUX1_CUSTOM_BASE; // 'model_bfl-flux-1-dev'
 */
export const FLUX1_CUSTOM_BASE = 'model_bfl-flux-1-dev';

/**
 * The params of a generation node that the rules read (sizes, counts, the base model override).
 * An unset size is the provider's to choose (image-to-image: the input image's size).
 *
 * @example
 * const s: GenerationSettings = { width: 1024, height: 768, samples: 1 };
 */
export interface GenerationSettings {
  width?: number | undefined;
  height?: number | undefined;
  samples: number;
  steps?: number | undefined;
  guidance?: number | undefined;
  baseModelId?: string | undefined;
}

/**
 * One LoRA of a generation as the rules see it: from its connection's type and settings before
 * anything runs (no `id` yet), from its value at run. `strength` is left out when the settings
 * schema refused it (that schema reports it, on its own path).
 *
 * @example
 * const l: GenerationLora = { provider: 'scenario', family: 'flux.1', modelType: 'flux.1-lora', strength: 0.6 };
 */
export interface GenerationLora {
  provider?: string | undefined;
  family?: string | undefined;
  modelType?: string | undefined;
  id?: string | undefined;
  strength?: number | undefined;
}

/**
 * What the rules decided for a generation: the provider, the route, and what the route needs
 * (the base model, or which LoRA is route A's model and which ride along as concepts, by index).
 *
 * @example
 * const plan: GenerationPlan = { provider: 'scenario', route: 'txt2img', family: 'sd-xl', model: 0, concepts: [1] };
 */
export type GenerationPlan =
  | { provider: 'modelslab'; route: 'modelslab'; family: string; baseModelId: string }
  | { provider: 'scenario'; route: 'custom'; family: string; baseModelId: string }
  | { provider: 'scenario'; route: 'txt2img'; family: string; model: number; concepts: number[] };

/**
 * The rules' answer: a plan when the generation can run, and every problem found.
 *
 * @example
 * const { plan, problems }: GenerationRules = planGeneration(settings, loras);
 */
export interface GenerationRules {
  plan?: GenerationPlan;
  problems: RuleProblem[];
}

/**
 * The problem of a generation without a prompt, the same before and during a run.
 *
 * @example
 * if (prompt.trim() === '') problems.push(NO_PROMPT);
 */
export const NO_PROMPT: RuleProblem = {
  code: NODE_ERROR_CODES.noPrompt,
  message: 'A generation needs a prompt: type one in the node or connect a prompt.',
  path: ['params', 'prompt'],
};

/**
 * The LoRAs of a generation as its connections declare them (types, and settings when known).
 *
 * @example
 * lorasOfConnections(inputTypes.loras ?? [], inputSettings.loras ?? []);
 */
export function lorasOfConnections(
  types: readonly PortTypeLike[],
  settings: ReadonlyArray<Record<string, unknown> | undefined> = [],
): GenerationLora[] {
  return types.map((t, i) => {
    const parsed = generationStrength.safeParse(settings[i] ?? {});
    return {
      provider: typeParam(t, 'provider'),
      family: typeParam(t, 'family'),
      modelType: typeParam(t, 'modelType'),
      strength: parsed.success ? parsed.data.strength : undefined,
    };
  });
}

/**
 * What a generation node's `validate` reports before anything runs: a missing prompt (none typed,
 * none connected), then what `plan` finds in the LoRAs its connections declare.
 *
 * @example
 * validate: (args) => generationProblems(args, (loras) => planGeneration(args.params, loras)),
 */
export function generationProblems(
  args: {
    params: { prompt: string };
    inputTypes: Readonly<Record<string, readonly PortTypeLike[]>>;
    inputSettings: Readonly<Record<string, ReadonlyArray<Record<string, unknown>>>>;
  },
  plan: (loras: GenerationLora[]) => GenerationRules,
): RuleProblem[] {
  const noPrompt = args.params.prompt.trim() === '' && (args.inputTypes.prompt ?? []).length === 0;
  const loras = lorasOfConnections(args.inputTypes.loras ?? [], args.inputSettings.loras ?? []);
  return [...(noPrompt ? [NO_PROMPT] : []), ...plan(loras).problems];
}

/**
 * Decides how a generation runs, or why it cannot: one provider, one family, a route for that
 * family, the route's limits, and the strength rules (ModelsLab's 0.1..1; on Scenario's txt2img
 * route one composition at most, and the model — the composition, else the first LoRA — at full
 * strength, except a FLUX.1 LoRA, which moves to the custom route that honours every scale).
 * No LoRAs: no plan and no problem (a missing input is the engine's to report).
 *
 * @example
 * planGeneration({ width: 1024, height: 1024, samples: 1 }, [{ provider: 'modelslab', family: 'sd-xl', strength: 0.6 }]);
 * // { plan: { provider: 'modelslab', route: 'modelslab', family: 'sd-xl', baseModelId: 'sdxl' }, problems: [] }
 */
export function planGeneration(
  settings: GenerationSettings,
  loras: readonly GenerationLora[],
): GenerationRules {
  if (loras.length === 0) return { problems: [] };
  const routed = routeOf(loras);
  if ('code' in routed) return { problems: [routed] };
  const chosen =
    routed.provider === 'modelslab'
      ? modelsLabPlan(settings, routed.family, loras)
      : routed.route === 'custom'
        ? { plan: customPlan(settings, routed.family), problems: [] }
        : txt2imgPlan(settings, routed.family, loras);
  const problems = [...limitProblems(settings, chosen.plan?.route ?? routed.route), ...chosen.problems];
  return chosen.plan && problems.length === 0 ? { plan: chosen.plan, problems } : { problems };
}

const onLoras = (code: string, message: string): RuleProblem => ({
  code,
  message,
  path: ['inputs', 'loras'],
});
const loraLabel = (index: number, lora: GenerationLora): string =>
  `LoRA ${index + 1}${lora.id ? ` (${lora.id})` : ''}`;
const onStrength = (index: number, message: string): RuleProblem => ({
  code: NODE_ERROR_CODES.strengthRange,
  message,
  path: ['settings', 'strength'],
  connection: { port: 'loras', index },
});

/** The provider and route family of a set of LoRAs, or the problem that prevents choosing one. */
function routeOf(
  loras: readonly GenerationLora[],
): { provider: 'scenario' | 'modelslab'; family: string; route: GenerationRoute } | RuleProblem {
  const providers = [...new Set(loras.map((l) => l.provider ?? 'unknown'))];
  if (providers.length > 1) {
    return onLoras(
      NODE_ERROR_CODES.mixedProviders,
      `One generation runs on one provider, but these LoRAs are on ${listAnd(providers.map(providerLabel))}.`,
    );
  }
  const families = [...new Set(loras.map((l) => l.family ?? 'unknown'))];
  const family = families[0]!;
  if (families.some((f) => !familiesCompatible(f, family))) {
    return onLoras(
      NODE_ERROR_CODES.mixedFamilies,
      `One generation uses LoRAs of one base family, but these are ${listAnd(families.map(familyLabel))}.`,
    );
  }
  if (providers[0] === 'modelslab') return { provider: 'modelslab', family, route: 'modelslab' };
  const route = FAMILIES[family]?.scenarioRoute;
  if (!route) {
    return onLoras(
      NODE_ERROR_CODES.noRoute,
      `Scenario has no LoRA generation route for ${familyLabel(family)} LoRAs.`,
    );
  }
  return { provider: 'scenario', family, route: route.kind === 'txt2img' ? 'txt2img' : 'custom' };
}

function limitProblems(p: GenerationSettings, route: GenerationRoute): RuleProblem[] {
  const l = GENERATION_LIMITS[route];
  const where = ROUTE_LABELS[route];
  const out: RuleProblem[] = [];
  for (const side of ['width', 'height'] as const) {
    const v = p[side];
    if (v === undefined) continue;
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

function modelsLabPlan(
  p: GenerationSettings,
  family: string,
  loras: readonly GenerationLora[],
): GenerationRules {
  const [lo, hi] = GENERATION_LIMITS.modelslab.strength;
  const problems = loras.flatMap((l, i) =>
    l.strength !== undefined && (l.strength < lo || l.strength > hi)
      ? [onStrength(i, `${loraLabel(i, l)} has strength ${l.strength}; ModelsLab takes ${lo}..${hi}.`)]
      : [],
  );
  const baseModelId = p.baseModelId ?? FAMILIES[family]?.modelslabBaseModel ?? 'sdxl';
  const { steps: range, documentedSteps: listed } = GENERATION_LIMITS.modelslab;
  // Outside 1..50 the route's limits already say so; inside it, only flux takes any count.
  const inRange = p.steps !== undefined && p.steps >= range[0] && p.steps <= range[1];
  if (inRange && baseModelId !== 'flux' && !(listed as readonly number[]).includes(p.steps!)) {
    problems.push({
      code: NODE_ERROR_CODES.stepsRange,
      message: `ModelsLab takes ${listed.slice(0, -1).join(', ')} or ${listed.at(-1)} inference steps for ${baseModelId} (its multi-LoRA documentation), not ${p.steps}.`,
      path: ['params', 'steps'],
    });
  }
  return { plan: { provider: 'modelslab', route: 'modelslab', family, baseModelId }, problems };
}

function customPlan(p: GenerationSettings, family: string): GenerationPlan {
  const route = FAMILIES[family]?.scenarioRoute;
  const base = route?.kind === 'custom' ? route.baseModelId : FLUX1_CUSTOM_BASE;
  return { provider: 'scenario', route: 'custom', family, baseModelId: p.baseModelId ?? base };
}

/** Route A: the model (a composition, else the first LoRA) runs at full strength, the others ride along as concepts. */
function txt2imgPlan(
  p: GenerationSettings,
  family: string,
  loras: readonly GenerationLora[],
): GenerationRules {
  const isComposition = (l: GenerationLora) => modelTypeInfo(l.modelType ?? '').kind === 'composition';
  const compositions = loras.flatMap((l, i) => (isComposition(l) ? [i] : []));
  if (compositions.length > 1) {
    const message = `Scenario generates with one composition at a time, and ${compositions.length} are connected; compose them into one.`;
    return { problems: [onLoras(NODE_ERROR_CODES.oneComposition, message)] };
  }
  const order = [...compositions, ...loras.flatMap((l, i) => (isComposition(l) ? [] : [i]))];
  const model = order[0]!;
  const lora = loras[model]!;
  if (lora.strength === undefined || lora.strength === 1) {
    return {
      plan: { provider: 'scenario', route: 'txt2img', family, model, concepts: order.slice(1) },
      problems: [],
    };
  }
  const composition = isComposition(lora);
  if (!composition && familiesCompatible(family, 'flux.1'))
    return { plan: customPlan(p, family), problems: [] };
  const message = composition
    ? `On Scenario's txt2img route a composition is the model itself and runs at full strength, so ${loraLabel(model, lora)} must have strength 1 (it has ${lora.strength}); set the scales inside the composition instead.`
    : `On Scenario's txt2img route the first LoRA is the model itself and runs at full strength, so ${loraLabel(model, lora)} must have strength 1 (it has ${lora.strength}); connect a LoRA at strength 1 first.`;
  return { problems: [onStrength(model, message)] };
}

/**
 * The params of an image-to-image generation that the rules read: a generation's, whose unset
 * size is the input image's, plus how much of the input is replaced (ModelsLab img2img; a
 * Scenario edit follows its prompt as an instruction and takes no strength).
 *
 * @example
 * const s: ImageToImageSettings = { samples: 1, strength: 0.6 };
 */
export interface ImageToImageSettings extends GenerationSettings {
  strength: number;
}

// The families Scenario trains edit LoRAs for: their base models take the image as `referenceImages`.
const EDIT_FAMILIES: readonly string[] = [
  ...new Set(SCENARIO_MODEL_TYPES.filter(isEditType).map(familyOfModelType)),
];

/**
 * Decides how an image-to-image generation runs, or why it cannot: the generation rules of
 * {@link planGeneration} (one provider, one family, the route's limits and strengths), and a
 * route that starts from an image — ModelsLab's img2img for ModelsLab LoRAs, Scenario's edit
 * route (`generate/custom/{base}` with the image in `referenceImages`) for edit LoRAs
 * (`*-edit-lora`, trained from before/after pairs). A Scenario LoRA whose type is not known yet
 * passes when its family has edit LoRAs.
 *
 * @example
 * planImageToImage({ samples: 1, strength: 0.6 }, [{ provider: 'scenario', family: 'flux.2-dev', modelType: 'flux.2-dev-edit-lora', strength: 1 }]);
 * // { plan: { provider: 'scenario', route: 'custom', family: 'flux.2-dev', baseModelId: 'model_bfl-flux-2-dev' }, problems: [] }
 */
export function planImageToImage(
  settings: ImageToImageSettings,
  loras: readonly GenerationLora[],
): GenerationRules {
  const rules = planGeneration(settings, loras);
  const scenario = loras.length > 0 && loras.every((l) => l.provider === 'scenario');
  const notEdit = scenario ? loras.flatMap((l, i) => (editsImages(l) ? [] : [i])) : [];
  if (notEdit.length === 0) return rules;
  const which = notEdit.map((i) => loraLabel(i, loras[i]!)).join(', ');
  const message = `Scenario starts from an image with edit LoRAs only (*-edit-lora, trained from before/after pairs), and ${which} ${notEdit.length > 1 ? 'are' : 'is'} not; use edit LoRAs, or ModelsLab LoRAs for img2img.`;
  return { problems: [...rules.problems, onLoras(NODE_ERROR_CODES.noRoute, message)] };
}

const editsImages = (l: GenerationLora): boolean =>
  l.modelType !== undefined
    ? isEditType(l.modelType)
    : EDIT_FAMILIES.some((f) => familiesCompatible(l.family ?? 'unknown', f));
