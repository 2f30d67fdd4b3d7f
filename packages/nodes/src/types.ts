import { type AnySchema, defineType, type PortType, portType, type TypeDefinition } from '@loraflow/core';
import { z } from 'zod/mini';
import type { Provider } from './families';
import { KINDS, portAccepts, portTypeLabel } from './port-rules';
import {
  type ImagesValue,
  imagesValueSchema,
  type LoraValue,
  loraValueSchema,
  type ModelValue,
  modelValueSchema,
  type TrainingSetValue,
  type TrainingValue,
  trainingSetValueSchema,
  trainingValueSchema,
} from './values';

// every kind carries its value schema: the engine checks each value on the wire against it
const define = (kind: string, description: string, value: AnySchema): TypeDefinition =>
  defineType({
    kind,
    description,
    value,
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
  define(
    KINDS.lora,
    'A LoRA (or composition) on a provider, typed by its base-model family.',
    loraValueSchema,
  ),
  define(KINDS.model, 'A model record on a provider, typed by its base-model family.', modelValueSchema),
  define(
    KINDS.trainingSet,
    'Images (or before/after pairs with instructions) to train a LoRA on.',
    trainingSetValueSchema,
  ),
  define(KINDS.training, 'A training started on a provider, to wait on.', trainingValueSchema),
  define(KINDS.images, 'Generated or loaded images, stored as blobs in the run store.', imagesValueSchema),
  define(KINDS.text, 'A piece of text, such as a prompt.', z.string()),
];

const withModelType = (params: Record<string, string>, modelType?: string): Record<string, string> =>
  modelType === undefined ? params : { ...params, modelType };

/**
 * A LoRA port type with a known provider and family (what an output carries).
 *
 * @example
 * loraType('scenario', 'flux.1'); // { kind: 'lora', params: { provider: 'scenario', family: 'flux.1' } }
 */
export function loraType(provider: Provider, family: string, modelType?: string): PortType<LoraValue> {
  return portType(KINDS.lora, withModelType({ provider, family }, modelType));
}

/**
 * A LoRA input that takes any of `families` (all when omitted) on `provider` (any when omitted).
 *
 * @example
 * loraInputType({ provider: 'modelslab' });
 */
export function loraInputType(
  o: { provider?: Provider; families?: readonly string[]; role?: string } = {},
): PortType<LoraValue> {
  const params: Record<string, string | string[]> = {};
  if (o.provider) params.provider = o.provider;
  if (o.families) params.families = [...o.families];
  if (o.role) params.role = o.role;
  return portType(KINDS.lora, params);
}

/**
 * A model port type with a known provider and family.
 *
 * @example
 * modelType('scenario', 'flux.1', 'flux.1-lora');
 */
export function modelType(provider: Provider, family: string, type?: string): PortType<ModelValue> {
  return portType(KINDS.model, withModelType({ provider, family }, type));
}

/**
 * A started training of a family on a provider.
 *
 * @example
 * trainingType('scenario', 'zimage', 'zimage-lora');
 */
export function trainingType(
  provider: Provider | undefined,
  family?: string,
  type?: string,
): PortType<TrainingValue> {
  const params: Record<string, string> = {};
  if (provider) params.provider = provider;
  if (family) params.family = family;
  return portType(KINDS.training, withModelType(params, type));
}

/**
 * A training-set type: of before/after pairs (`true`), of images (`false`) or either (omitted).
 *
 * @example
 * trainingSetType(true); // { kind: 'training-set', params: { pairs: true } }
 */
export function trainingSetType(pairs?: boolean): PortType<TrainingSetValue> {
  return portType(KINDS.trainingSet, pairs === undefined ? undefined : { pairs });
}

/** The `images` port type. @example imagesType(); */
export const imagesType = (): PortType<ImagesValue> => portType(KINDS.images);
/** The `text` port type. @example textType(); */
export const textType = (): PortType<string> => portType(KINDS.text);
