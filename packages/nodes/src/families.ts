/**
 * The LoRA world's type facts: base-model families, which Scenario model types belong to which
 * family, which families are compatible and which can be composed. Pure data and functions, so
 * the editor, the engine's validation and the nodes all decide with the same rules.
 */

/**
 * The providers a LoRA can live on; a model of one cannot be used by the other.
 *
 * @example
 * PROVIDERS.includes('scenario'); // true
 */
export const PROVIDERS = ['scenario', 'modelslab'] as const;
/**
 * A provider a LoRA or model belongs to.
 *
 * @example
 * const p: Provider = 'modelslab';
 */
export type Provider = (typeof PROVIDERS)[number];

/**
 * Facts about one base-model family.
 *
 * @example
 * const info: FamilyInfo | undefined = FAMILIES['zimage-turbo']; // info.group === 'zimage'
 */
export interface FamilyInfo {
  /** Stable id, e.g. `flux.1`. */
  id: string;
  /** What a person reads, e.g. `FLUX.1`. */
  label: string;
  /** Families in one compatibility group accept each other's LoRAs (Z-Image and its turbo variants). */
  group: string;
  /** The Scenario composition model type for this family, when Scenario can compose it. */
  composition?: string;
  /** How Scenario generates with LoRAs of this family (PROVIDERS.md §1.6). */
  scenarioRoute?: { kind: 'txt2img' } | { kind: 'custom'; baseModelId: string };
  /** ModelsLab `model_id` used when none is given (ModelsLab LoRAs only). */
  modelslabBaseModel?: string;
}

const family = (info: FamilyInfo): FamilyInfo => info;

/**
 * Every family loraflow knows. A family is one checkpoint; a `group` gathers checkpoints whose
 * LoRAs are interchangeable: Z-Image with its turbo variants (the training guide says so), a
 * FLUX.2 [klein] size with its base variant, and Qwen-Image with its 2512 update (the same
 * base models accept both, see docs/decisions/0007-lora-types.md). Anything else is kept apart:
 * a LoRA trained on one base model family cannot be used with a different one.
 *
 * @example
 * FAMILIES['flux.1']?.composition; // 'flux.1-composition'
 */
export const FAMILIES: Readonly<Record<string, FamilyInfo>> = Object.fromEntries(
  [
    family({
      id: 'flux.1',
      label: 'FLUX.1',
      group: 'flux.1',
      composition: 'flux.1-composition',
      scenarioRoute: { kind: 'txt2img' },
      modelslabBaseModel: 'flux',
    }),
    family({
      id: 'flux.1-kontext',
      label: 'FLUX.1 Kontext',
      group: 'flux.1-kontext',
      scenarioRoute: { kind: 'custom', baseModelId: 'model_flux-kontext-editing' },
    }),
    family({
      id: 'flux.1-krea',
      label: 'FLUX.1 Krea',
      group: 'flux.1-krea',
      scenarioRoute: { kind: 'custom', baseModelId: 'model_bfl-flux-1-krea-dev' },
    }),
    family({ id: 'flux.1-pro', label: 'FLUX.1 Pro', group: 'flux.1-pro' }),
    family({
      id: 'flux.2-dev',
      label: 'FLUX.2 [dev]',
      group: 'flux.2-dev',
      scenarioRoute: { kind: 'custom', baseModelId: 'model_bfl-flux-2-dev' },
    }),
    family({
      id: 'flux.2-klein-4b',
      label: 'FLUX.2 [klein] 4B',
      group: 'flux.2-klein-4b',
      scenarioRoute: { kind: 'custom', baseModelId: 'model_bfl-flux-2-klein-4b-base' },
    }),
    family({
      id: 'flux.2-klein-9b',
      label: 'FLUX.2 [klein] 9B',
      group: 'flux.2-klein-9b',
      scenarioRoute: { kind: 'custom', baseModelId: 'model_bfl-flux-2-klein-9b-base' },
    }),
    family({
      id: 'flux.2-klein-base-4b',
      label: 'FLUX.2 [klein] Base 4B',
      group: 'flux.2-klein-4b',
      scenarioRoute: { kind: 'custom', baseModelId: 'model_bfl-flux-2-klein-4b-base' },
    }),
    family({
      id: 'flux.2-klein-base-9b',
      label: 'FLUX.2 [klein] Base 9B',
      group: 'flux.2-klein-9b',
      scenarioRoute: { kind: 'custom', baseModelId: 'model_bfl-flux-2-klein-9b-base' },
    }),
    family({
      id: 'sd-xl',
      label: 'SDXL',
      group: 'sd-xl',
      composition: 'sd-xl-composition',
      scenarioRoute: { kind: 'txt2img' },
      modelslabBaseModel: 'sdxl',
    }),
    family({
      id: 'sd-1_5',
      label: 'SD 1.5',
      group: 'sd-1_5',
      composition: 'sd-1_5-composition',
      scenarioRoute: { kind: 'txt2img' },
      modelslabBaseModel: 'realistic-vision-v51',
    }),
    family({
      id: 'qwen-image',
      label: 'Qwen-Image',
      group: 'qwen-image',
      scenarioRoute: { kind: 'custom', baseModelId: 'model_qwen-image' },
    }),
    family({
      id: 'qwen-image-2512',
      label: 'Qwen-Image 2512',
      group: 'qwen-image',
      scenarioRoute: { kind: 'custom', baseModelId: 'model_qwen-image' },
    }),
    family({
      id: 'qwen-image-edit',
      label: 'Qwen-Image-Edit',
      group: 'qwen-image-edit',
      scenarioRoute: { kind: 'custom', baseModelId: 'model_qwen-image-edit' },
    }),
    family({
      id: 'qwen-image-edit-2509',
      label: 'Qwen-Image-Edit 2509',
      group: 'qwen-image-edit-2509',
      scenarioRoute: { kind: 'custom', baseModelId: 'model_qwen-image-edit-2509' },
    }),
    family({
      id: 'qwen-image-edit-2511',
      label: 'Qwen-Image-Edit 2511',
      group: 'qwen-image-edit-2511',
      scenarioRoute: { kind: 'custom', baseModelId: 'model_qwen-image-edit-2511' },
    }),
    // The training guide: zimage, zimage-turbo and zimage-de-turbo LoRAs all work with Z-Image and Z-Image Turbo.
    family({
      id: 'zimage',
      label: 'Z-Image',
      group: 'zimage',
      scenarioRoute: { kind: 'custom', baseModelId: 'model_zimage' },
    }),
    family({
      id: 'zimage-turbo',
      label: 'Z-Image Turbo',
      group: 'zimage',
      scenarioRoute: { kind: 'custom', baseModelId: 'model_zimage-turbo' },
    }),
    family({
      id: 'zimage-de-turbo',
      label: 'Z-Image De-Turbo',
      group: 'zimage',
      scenarioRoute: { kind: 'custom', baseModelId: 'model_zimage' },
    }),
    family({ id: 'gpt-image', label: 'GPT Image', group: 'gpt-image' }),
    family({ id: 'voice', label: 'ElevenLabs voice', group: 'voice' }),
    family({ id: 'unknown', label: 'unknown family', group: 'unknown' }),
  ].map((f) => [f.id, f]),
);

/**
 * What role a Scenario model type plays.
 *
 * @example
 * modelTypeInfo('flux.1-composition').kind; // 'composition'
 */
export type ModelKind = 'lora' | 'edit-lora' | 'composition' | 'base' | 'other';

/**
 * What loraflow knows about one Scenario model type.
 *
 * @example
 * const info: ModelTypeInfo = modelTypeInfo('sd-xl-lora'); // { family: 'sd-xl', kind: 'lora', trainer: 'sd' }
 */
export interface ModelTypeInfo {
  type: string;
  family: string;
  kind: ModelKind;
  /** Which trainer's parameters apply when this type is trained. */
  trainer?: 'flux' | 'sd' | 'musubi';
  /** Set when the type is not one loraflow knows: the sentence to show. */
  unknown?: string;
}

const lora = (type: string, fam: string, trainer: NonNullable<ModelTypeInfo['trainer']>): ModelTypeInfo => ({
  type,
  family: fam,
  kind: /-edit(-\d+)?-lora$/.test(type) ? 'edit-lora' : 'lora',
  trainer,
});

const KNOWN_TYPES: ModelTypeInfo[] = [
  { type: 'custom', family: 'unknown', kind: 'base' },
  { type: 'flux.1', family: 'flux.1', kind: 'base' },
  { type: 'flux.1-composition', family: 'flux.1', kind: 'composition' },
  lora('flux.1-lora', 'flux.1', 'flux'),
  { type: 'flux.1-kontext-dev', family: 'flux.1-kontext', kind: 'base' },
  // Kontext LoRAs are edit LoRAs in practice, but the API names them without `-edit`; they train on images.
  lora('flux.1-kontext-lora', 'flux.1-kontext', 'flux'),
  { type: 'flux.1-krea-dev', family: 'flux.1-krea', kind: 'base' },
  lora('flux.1-krea-lora', 'flux.1-krea', 'flux'),
  { type: 'flux.1-pro', family: 'flux.1-pro', kind: 'base' },
  { type: 'flux.1.1-pro-ultra', family: 'flux.1-pro', kind: 'base' },
  { type: 'flux1.1-pro', family: 'flux.1-pro', kind: 'base' },
  { type: 'gpt-image-1', family: 'gpt-image', kind: 'base' },
  { type: 'sd-1_5', family: 'sd-1_5', kind: 'base' },
  { type: 'sd-1_5-composition', family: 'sd-1_5', kind: 'composition' },
  lora('sd-1_5-lora', 'sd-1_5', 'sd'),
  { type: 'sd-xl', family: 'sd-xl', kind: 'base' },
  { type: 'sd-xl-composition', family: 'sd-xl', kind: 'composition' },
  lora('sd-xl-lora', 'sd-xl', 'sd'),
  { type: 'elevenlabs-voice', family: 'voice', kind: 'other' },
  lora('flux.2-dev-lora', 'flux.2-dev', 'musubi'),
  lora('flux.2-dev-edit-lora', 'flux.2-dev', 'musubi'),
  lora('flux.2-klein-4b-lora', 'flux.2-klein-4b', 'musubi'),
  lora('flux.2-klein-4b-edit-lora', 'flux.2-klein-4b', 'musubi'),
  lora('flux.2-klein-9b-lora', 'flux.2-klein-9b', 'musubi'),
  lora('flux.2-klein-9b-edit-lora', 'flux.2-klein-9b', 'musubi'),
  lora('flux.2-klein-base-4b-lora', 'flux.2-klein-base-4b', 'musubi'),
  lora('flux.2-klein-base-4b-edit-lora', 'flux.2-klein-base-4b', 'musubi'),
  lora('flux.2-klein-base-9b-lora', 'flux.2-klein-base-9b', 'musubi'),
  lora('flux.2-klein-base-9b-edit-lora', 'flux.2-klein-base-9b', 'musubi'),
  lora('qwen-image-lora', 'qwen-image', 'musubi'),
  lora('qwen-image-2512-lora', 'qwen-image-2512', 'musubi'),
  lora('qwen-image-edit-lora', 'qwen-image-edit', 'musubi'),
  lora('qwen-image-edit-2509-lora', 'qwen-image-edit-2509', 'musubi'),
  lora('qwen-image-edit-2511-lora', 'qwen-image-edit-2511', 'musubi'),
  lora('zimage-lora', 'zimage', 'musubi'),
  lora('zimage-turbo-lora', 'zimage-turbo', 'musubi'),
  lora('zimage-de-turbo-lora', 'zimage-de-turbo', 'musubi'),
];

const TYPE_TABLE: ReadonlyMap<string, ModelTypeInfo> = new Map(KNOWN_TYPES.map((t) => [t.type, t]));

/**
 * Every Scenario model type loraflow knows (PROVIDERS.md §1.2), in the spec's order.
 *
 * @example
 * SCENARIO_MODEL_TYPES.includes('zimage-turbo-lora'); // true
 */
export const SCENARIO_MODEL_TYPES: readonly string[] = KNOWN_TYPES.map((t) => t.type);

/**
 * The Scenario model types that can be trained from a training set (every `*-lora` type the
 * training docs list); compositions are made by `lora.compose`, not trained from images.
 *
 * @example
 * TRAINING_TYPES.includes('flux.2-dev-edit-lora'); // true
 */
export const TRAINING_TYPES = KNOWN_TYPES.filter((t) => t.trainer !== undefined).map((t) => t.type) as [
  string,
  ...string[],
];

/**
 * Scenario LoRA types, the ones `lora.source` can list and generation can take.
 *
 * @example
 * LORA_TYPES.includes('qwen-image-lora'); // true
 */
export const LORA_TYPES: readonly string[] = TRAINING_TYPES;

/**
 * What loraflow knows about a Scenario model type. The API's type list grows, so an unknown
 * type is not an error here: it maps to the `unknown` family with a sentence saying why.
 *
 * @example
 * modelTypeInfo('zimage-turbo-lora').family; // 'zimage-turbo'
 * modelTypeInfo('flux.3-lora').unknown; // 'Model type "flux.3-lora" is not one loraflow knows…'
 */
export function modelTypeInfo(type: string): ModelTypeInfo {
  const known = TYPE_TABLE.get(type);
  if (known) return known;
  return {
    type,
    family: 'unknown',
    kind: type.endsWith('-lora') ? 'lora' : 'other',
    unknown: `Model type "${type}" is not one loraflow knows, so its base family is unknown and it cannot be checked against other models.`,
  };
}

/**
 * The family of a Scenario model type (`unknown` for a type loraflow does not know).
 *
 * @example
 * familyOfModelType('flux.2-klein-base-4b-edit-lora'); // 'flux.2-klein-base-4b'
 */
export function familyOfModelType(type: string): string {
  return modelTypeInfo(type).family;
}

/**
 * True when the type is trained from before/after pairs (`*-edit-lora`).
 *
 * @example
 * isEditType('qwen-image-edit-2509-lora'); // true
 */
export function isEditType(type: string): boolean {
  return modelTypeInfo(type).kind === 'edit-lora';
}

/**
 * A family's label for sentences; an id loraflow does not know is shown as given.
 *
 * @example
 * familyLabel('sd-1_5'); // 'SD 1.5'
 */
export function familyLabel(id: string): string {
  return FAMILIES[id]?.label ?? id;
}

/**
 * A provider's label for sentences.
 *
 * @example
 * providerLabel('modelslab'); // 'ModelsLab'
 */
export function providerLabel(provider: string): string {
  if (provider === 'scenario') return 'Scenario';
  if (provider === 'modelslab') return 'ModelsLab';
  return provider;
}

/**
 * Whether a LoRA of family `from` can be used where family `to` is expected: the same family,
 * or two families of one compatibility group (Z-Image, Z-Image Turbo, Z-Image De-Turbo). The
 * `unknown` family is compatible with nothing, because nothing can be promised about it.
 *
 * @example
 * familiesCompatible('zimage-de-turbo', 'zimage-turbo'); // true
 * familiesCompatible('flux.2-dev', 'flux.1'); // false
 */
export function familiesCompatible(from: string, to: string): boolean {
  if (from === 'unknown' || to === 'unknown') return false;
  if (from === to) return true;
  const a = FAMILIES[from];
  const b = FAMILIES[to];
  return a !== undefined && b !== undefined && a.group === b.group;
}

/**
 * The Scenario composition model type for a family, or `undefined` when Scenario cannot compose
 * it (only FLUX.1, SDXL and SD 1.5 compose).
 *
 * @example
 * compositionTypeFor('sd-xl'); // 'sd-xl-composition'
 * compositionTypeFor('flux.2-dev'); // undefined
 */
export function compositionTypeFor(familyId: string): string | undefined {
  return FAMILIES[familyId]?.composition;
}

/**
 * The families Scenario can compose, in display order.
 *
 * @example
 * COMPOSABLE_FAMILIES; // ['flux.1', 'sd-xl', 'sd-1_5']
 */
export const COMPOSABLE_FAMILIES: readonly string[] = Object.values(FAMILIES)
  .filter((f) => f.composition !== undefined)
  .map((f) => f.id);

/**
 * The families ModelsLab serves LoRAs for (its text2img `model_id`s), in display order.
 *
 * @example
 * MODELSLAB_FAMILIES; // ['flux.1', 'sd-xl', 'sd-1_5']
 */
export const MODELSLAB_FAMILIES: readonly string[] = Object.values(FAMILIES)
  .filter((f) => f.modelslabBaseModel !== undefined)
  .map((f) => f.id);

/**
 * Joins labels as a person would write them: `A`, `A or B`, `A, B or C`.
 *
 * @example
 * listOr(['FLUX.1', 'SDXL', 'SD 1.5']); // 'FLUX.1, SDXL or SD 1.5'
 */
export function listOr(items: readonly string[]): string {
  return joinList(items, 'or');
}

/**
 * Like {@link listOr} with "and".
 *
 * @example
 * listAnd(['FLUX.1', 'SDXL', 'SD 1.5']); // 'FLUX.1, SDXL and SD 1.5'
 */
export function listAnd(items: readonly string[]): string {
  return joinList(items, 'and');
}

function joinList(items: readonly string[], word: string): string {
  if (items.length <= 1) return items[0] ?? '';
  return `${items.slice(0, -1).join(', ')} ${word} ${items[items.length - 1]}`;
}
