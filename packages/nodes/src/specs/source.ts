import { z } from 'zod/mini';
import { LORA_TYPES, MODELSLAB_FAMILIES, modelTypeInfo } from '../families';
import { NODE_ERROR_CODES } from '../services';
import { defineSpec } from '../spec';
import { loraType } from '../types';

const scenarioLoraType = z
  .string()
  .check(
    z.minLength(1),
    z.maxLength(100),
    z.describe(
      `The Scenario model type, e.g. ${LORA_TYPES.slice(0, 3).join(', ')} (any type Scenario lists).`,
    ),
  );

const params = z
  .object({
    provider: z
      ._default(z.enum(['scenario', 'modelslab']), 'scenario')
      .check(z.describe('Where the LoRA lives.')),
    mode: z
      ._default(z.enum(['id', 'pick']), 'id')
      .check(
        z.describe(
          '`id`: a known model id; `pick`: the newest trained model of `modelType` whose name matches.',
        ),
      ),
    modelId: z
      .optional(z.string().check(z.minLength(1), z.maxLength(200)))
      .check(z.describe('The LoRA id (mode `id`).')),
    modelType: z
      .optional(scenarioLoraType)
      .check(z.describe('Scenario: the LoRA model type; it decides the base family.')),
    family: z
      .optional(z.enum(MODELSLAB_FAMILIES as [string, ...string[]]))
      .check(z.describe('ModelsLab: the base family the LoRA was trained on.')),
    nameContains: z
      .optional(z.string().check(z.maxLength(200)))
      .check(z.describe('Mode `pick`: only models whose name contains this text.')),
    from: z
      ._default(z.enum(['project', 'public']), 'project')
      .check(z.describe("Mode `pick`: the project's own models, or Scenario's public ones.")),
  })
  .check(
    z.superRefine((p, c) => {
      if (p.provider === 'scenario' && !p.modelType) {
        c.addIssue({
          code: 'custom',
          path: ['modelType'],
          message: 'A Scenario LoRA needs its model type (e.g. flux.1-lora)',
        });
      }
      if (p.mode === 'id' && !p.modelId) {
        c.addIssue({ code: 'custom', path: ['modelId'], message: 'Mode "id" needs the LoRA id' });
      }
      if (p.provider === 'modelslab') {
        if (p.mode === 'pick') {
          c.addIssue({
            code: 'custom',
            path: ['mode'],
            message: 'ModelsLab LoRAs are chosen by id; ModelsLab has no LoRA list to pick from',
          });
        }
        if (!p.family) {
          c.addIssue({
            code: 'custom',
            path: ['family'],
            message: `A ModelsLab LoRA needs its base family (${MODELSLAB_FAMILIES.join(', ')})`,
          });
        }
      }
    }),
  )
  // what the editor gives a new LoRA node: the newest FLUX.1 LoRA of the project, valid and typed at once
  .check(
    z.meta({ examples: [{ provider: 'scenario', mode: 'pick', modelType: 'flux.1-lora', from: 'project' }] }),
  );

const familyOf = (p: z.output<typeof params>): string =>
  p.provider === 'modelslab' ? (p.family ?? 'unknown') : modelTypeInfo(p.modelType ?? '').family;

/**
 * What `lora.source` declares, without its run (a `NodeSpec`).
 *
 * @example
 * defineNode({ ...loraSourceSpec, run });
 */
export const loraSourceSpec = defineSpec({
  type: 'lora.source',
  version: 1,
  title: 'LoRA',
  category: 'LoRA',
  description:
    'A LoRA by id, or the newest trained LoRA of a type picked from the Scenario list; typed by base family and provider. Cached by id; a pick lists again every run.',
  params,
  outputs: {
    lora: {
      type: ({ params: p }) =>
        loraType(p.provider, familyOf(p), p.provider === 'scenario' ? p.modelType : undefined),
      label: 'LoRA',
      description: 'LoRA of the provider and of the family of its model type (ModelsLab: of `family`)',
    },
  },
  // A listing can change between runs; a model fetched by id cannot change what it is.
  cache: (p) => (p.mode === 'pick' ? 'run' : 'pure'),
  resources: (p) => (p.provider === 'scenario' ? ['provider:scenario'] : []),
  // a Scenario LoRA by id or by pick is one of the project's (or a public one seen from it)
  scope: (p) => (p.provider === 'scenario' ? ['scenario'] : []),
  validate({ params: p }) {
    if (p.provider !== 'scenario' || !p.modelType) return [];
    const info = modelTypeInfo(p.modelType);
    if (info.unknown)
      return [
        { code: NODE_ERROR_CODES.loraUnknownType, message: info.unknown, path: ['params', 'modelType'] },
      ];
    if (info.kind === 'base' || info.kind === 'other') {
      return [
        {
          code: NODE_ERROR_CODES.loraNotALora,
          message: `"${p.modelType}" is a base model type, not a LoRA; pick a LoRA or composition type such as ${LORA_TYPES[0]}.`,
          path: ['params', 'modelType'],
        },
      ];
    }
    return [];
  },
});
