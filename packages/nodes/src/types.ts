import { defineType, type PortType, type TypeDefinition } from '@loraflow/core';
import type { Provider } from './families';
import { KINDS, portAccepts, portTypeLabel } from './port-rules';

const define = (kind: string, description: string): TypeDefinition =>
  defineType({
    kind,
    description,
    label: (t) => portTypeLabel(t),
    accepts: (to, from) => portAccepts(to, from),
  });

/**
 * The port types of the LoRA pack. Each has a label and an `accepts` that checks provider and
 * base family, so a mismatch is found while wiring, before anything runs.
 *
 * @example
 * const types = createTypeRegistry(loraTypes);
 * canConnect(loraType('scenario', 'flux.2-dev'), compositionInputType(), types).ok; // false
 */
export const loraTypes: readonly TypeDefinition[] = [
  define(KINDS.lora, 'A LoRA (or composition) on a provider, typed by its base-model family.'),
  define(KINDS.model, 'A model record on a provider, typed by its base-model family.'),
  define(KINDS.trainingSet, 'Images (or before/after pairs with instructions) to train a LoRA on.'),
  define(KINDS.training, 'A training started on a provider, to wait on.'),
  define(KINDS.images, 'Generated or loaded images, stored as blobs in the run store.'),
  define(KINDS.text, 'A piece of text, such as a prompt.'),
];

const withModelType = (params: Record<string, string>, modelType?: string): Record<string, string> =>
  modelType === undefined ? params : { ...params, modelType };

/**
 * A LoRA port type with a known provider and family (what an output carries).
 *
 * @example
 * loraType('scenario', 'flux.1'); // { kind: 'lora', params: { provider: 'scenario', family: 'flux.1' } }
 */
export function loraType(provider: Provider, family: string, modelType?: string): PortType {
  return { kind: KINDS.lora, params: withModelType({ provider, family }, modelType) };
}

/**
 * A LoRA input that takes any of `families` (all when omitted) on `provider` (any when omitted).
 *
 * @example
 * loraInputType({ provider: 'modelslab' });
 */
export function loraInputType(
  o: { provider?: Provider; families?: readonly string[]; role?: string } = {},
): PortType {
  const params: Record<string, string | string[]> = {};
  if (o.provider) params.provider = o.provider;
  if (o.families) params.families = [...o.families];
  if (o.role) params.role = o.role;
  return { kind: KINDS.lora, params };
}

/**
 * A model port type with a known provider and family.
 *
 * @example
 * modelType('scenario', 'flux.1', 'flux.1-lora');
 */
export function modelType(provider: Provider, family: string, type?: string): PortType {
  return { kind: KINDS.model, params: withModelType({ provider, family }, type) };
}

/**
 * A started training of a family on a provider.
 *
 * @example
 * trainingType('scenario', 'zimage', 'zimage-lora');
 */
export function trainingType(provider: Provider | undefined, family?: string, type?: string): PortType {
  const params: Record<string, string> = {};
  if (provider) params.provider = provider;
  if (family) params.family = family;
  return { kind: KINDS.training, params: withModelType(params, type) };
}

/**
 * A training-set type: of before/after pairs (`true`), of images (`false`) or either (omitted).
 *
 * @example
 * trainingSetType(true); // { kind: 'training-set', params: { pairs: true } }
 */
export function trainingSetType(pairs?: boolean): PortType {
  return pairs === undefined ? { kind: KINDS.trainingSet } : { kind: KINDS.trainingSet, params: { pairs } };
}

/** The `images` port type. @example imagesType(); */
export const imagesType = (): PortType => ({ kind: KINDS.images });
/** The `text` port type. @example textType(); */
export const textType = (): PortType => ({ kind: KINDS.text });
