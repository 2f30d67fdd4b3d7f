import {
  familiesCompatible,
  familyLabel,
  listAnd,
  listOr,
  MODELSLAB_FAMILIES,
  modelTypeInfo,
  providerLabel,
} from './families';

/**
 * The shape of a port type (core's `PortType`), restated so these rules stay pure data.
 *
 * @example
 * const t: PortTypeLike = { kind: 'lora', params: { provider: 'scenario', family: 'flux.1' } };
 */
export interface PortTypeLike {
  kind: string;
  params?: Readonly<Record<string, unknown>> | undefined;
}

/**
 * The port kinds of the LoRA pack.
 *
 * @example
 * KINDS.trainingSet; // 'training-set'
 */
export const KINDS = {
  lora: 'lora',
  model: 'model',
  trainingSet: 'training-set',
  training: 'training',
  images: 'images',
  text: 'text',
} as const;

/**
 * A string param of a port type (`provider`, `family`, `modelType`…), or `undefined` when the type
 * is absent or the param is missing or not a string: the one reader every rule of the pack uses.
 *
 * @example
 * typeParam({ kind: 'lora', params: { provider: 'scenario', family: 'flux.1' } }, 'family'); // 'flux.1'
 */
export function typeParam(t: PortTypeLike | undefined, key: string): string | undefined {
  const v = t?.params?.[key];
  return typeof v === 'string' ? v : undefined;
}
const strs = (t: PortTypeLike, key: string): string[] | undefined => {
  const v = t.params?.[key];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : undefined;
};
const bool = (t: PortTypeLike, key: string): boolean | undefined => {
  const v = t.params?.[key];
  return typeof v === 'boolean' ? v : undefined;
};

/** Who is talking about the model: "Scenario FLUX.1", "ModelsLab SDXL", "Scenario". */
function subject(t: PortTypeLike, noun: string, plural = false): string {
  const provider = typeParam(t, 'provider');
  const fam = typeParam(t, 'family');
  const fams = strs(t, 'families');
  const prefix = provider ? `${providerLabel(provider)} ` : '';
  const nounN = plural ? `${noun}s` : noun;
  if (fam)
    return `${prefix}${fam === 'unknown' ? `${nounN} of unknown family` : `${familyLabel(fam)} ${nounN}`}`;
  if (fams && fams.length > 0) return `${prefix}${nounN} (${listOr(fams.map(familyLabel))})`;
  return `${prefix}${nounN}`;
}

/**
 * The label of a LoRA-pack port type, as the editor and error messages show it.
 *
 * @example
 * portTypeLabel({ kind: 'lora', params: { provider: 'scenario', family: 'flux.1' } }); // 'Scenario FLUX.1 LoRA'
 */
export function portTypeLabel(t: PortTypeLike): string {
  switch (t.kind) {
    case KINDS.lora:
      return subject(t, 'LoRA');
    case KINDS.model:
      return subject(t, 'model');
    case KINDS.training:
      return subject(t, 'training');
    case KINDS.trainingSet: {
      const pairs = bool(t, 'pairs');
      if (pairs === true) return 'training set of before/after pairs';
      if (pairs === false) return 'training set of images';
      return 'training set';
    }
    case KINDS.images:
      return 'images';
    case KINDS.text:
      return 'text';
    default:
      return t.kind;
  }
}

/** Provider and family checks shared by LoRAs, models and trainings. */
function acceptsProviderModel(to: PortTypeLike, from: PortTypeLike): true | string {
  const toProvider = typeParam(to, 'provider');
  const fromProvider = typeParam(from, 'provider');
  if (toProvider && fromProvider && toProvider !== fromProvider) {
    return `a model on ${providerLabel(fromProvider)} cannot be used by ${providerLabel(toProvider)}`;
  }
  if (toProvider && !fromProvider) {
    return `its provider is not known, and this input needs one on ${providerLabel(toProvider)}`;
  }
  const wanted =
    typeParam(to, 'family') !== undefined ? [typeParam(to, 'family') as string] : strs(to, 'families');
  if (wanted === undefined) return true;
  const fam = typeParam(from, 'family');
  if (fam === undefined || fam === 'unknown') {
    const type = typeParam(from, 'modelType');
    const hint = type ? ` (model type "${modelTypeInfo(type).type}")` : '';
    return `its base family is unknown${hint}, so it cannot be checked against ${listOr(wanted.map(familyLabel))}`;
  }
  if (wanted.some((w) => familiesCompatible(fam, w))) return true;
  if (typeParam(to, 'role') === 'composition') {
    return `Scenario composes only ${listAnd(wanted.map(familyLabel))} LoRAs, all of one family`;
  }
  if (typeParam(to, 'role') === 'modelslab') {
    return `ModelsLab serves LoRAs for ${listAnd(MODELSLAB_FAMILIES.map(familyLabel))} only`;
  }
  return `a LoRA trained on ${familyLabel(fam)} only works with ${familyLabel(fam)} models, not ${listOr(wanted.map(familyLabel))}`;
}

/**
 * Decides whether a value of port type `from` may feed an input of port type `to`: `true`, or
 * the reason, naming the families or providers involved; core's `canConnect` puts it in a
 * sentence with both types' labels, which the editor shows as it is.
 *
 * @example
 * portAccepts(
 *   { kind: 'lora', params: { provider: 'scenario', families: ['flux.1'], role: 'composition' } },
 *   { kind: 'lora', params: { provider: 'scenario', family: 'flux.2-dev' } },
 * ); // 'Scenario composes only FLUX.1 LoRAs, all of one family'
 */
export function portAccepts(to: PortTypeLike, from: PortTypeLike): true | string {
  // Core's built-in `string` carries the same value as `text`, so other packs' strings can be prompts.
  if (to.kind === KINDS.text && from.kind === 'string') return true;
  if (to.kind !== from.kind) {
    return `${portTypeLabel(from)} and ${portTypeLabel(to)} are different kinds of value`;
  }
  switch (to.kind) {
    case KINDS.lora:
    case KINDS.model:
    case KINDS.training:
      return acceptsProviderModel(to, from);
    case KINDS.trainingSet: {
      const want = bool(to, 'pairs');
      const have = bool(from, 'pairs');
      if (want === undefined || have === undefined || want === have) return true;
      return want
        ? 'edit training types (*-edit-lora) learn from before/after pairs with an instruction each'
        : 'this training type learns from single images, not before/after pairs';
    }
    default:
      return true;
  }
}
