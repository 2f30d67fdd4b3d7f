import { defineNode, NodeRunError } from '@loraflow/core';
import { type Model, modelPhase, type ScenarioClient } from '@loraflow/providers';
import { z } from 'zod';
import { familiesCompatible, familyLabel, LORA_TYPES, MODELSLAB_FAMILIES, modelTypeInfo } from '../families';
import { NODE_ERROR_CODES, need, signalOf } from '../services';
import { loraType } from '../types';
import type { LoraValue } from '../values';

const scenarioLoraType = z
  .string()
  .min(1)
  .max(100)
  .describe(`The Scenario model type, e.g. ${LORA_TYPES.slice(0, 3).join(', ')} (any type Scenario lists).`);

const params = z
  .object({
    provider: z.enum(['scenario', 'modelslab']).default('scenario').describe('Where the LoRA lives.'),
    mode: z
      .enum(['id', 'pick'])
      .default('id')
      .describe(
        '`id`: a known model id; `pick`: the newest trained model of `modelType` whose name matches.',
      ),
    modelId: z.string().min(1).max(200).optional().describe('The LoRA id (mode `id`).'),
    modelType: scenarioLoraType
      .optional()
      .describe('Scenario: the LoRA model type; it decides the base family.'),
    family: z
      .enum(MODELSLAB_FAMILIES as [string, ...string[]])
      .optional()
      .describe('ModelsLab: the base family the LoRA was trained on.'),
    nameContains: z
      .string()
      .max(200)
      .optional()
      .describe('Mode `pick`: only models whose name contains this text.'),
    from: z
      .enum(['project', 'public'])
      .default('project')
      .describe("Mode `pick`: the project's own models, or Scenario's public ones."),
  })
  .superRefine((p, c) => {
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
  });

const familyOf = (p: z.output<typeof params>): string =>
  p.provider === 'modelslab' ? (p.family ?? 'unknown') : modelTypeInfo(p.modelType ?? '').family;

/**
 * `lora.source`: one LoRA, by id or picked from the provider's list by type (and name). Its
 * output is typed by the LoRA's base family and provider, so wrong wiring shows before running.
 *
 * @example
 * { "id": "style", "type": "lora.source", "params": { "modelId": "model_abc", "modelType": "flux.1-lora" } }
 * { "id": "ml", "type": "lora.source", "params": { "provider": "modelslab", "modelId": "more_details", "family": "sd-xl" } }
 */
export const loraSource = defineNode({
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
  async run(ctx) {
    const p = ctx.params;
    if (p.provider === 'modelslab') {
      const lora: LoraValue = { provider: 'modelslab', id: p.modelId ?? '', family: p.family ?? 'unknown' };
      return { lora };
    }
    const scenario = need(ctx, 'scenario');
    const signal = signalOf(ctx);
    const declared = p.modelType ?? '';
    const family = modelTypeInfo(declared).family;
    let model: Awaited<ReturnType<typeof scenario.getModel>> | undefined;
    if (p.mode === 'id') {
      model = await scenario.getModel(p.modelId ?? '', { signal });
    } else {
      const needle = p.nameContains?.toLowerCase();
      const candidates =
        p.from === 'public'
          ? publicModels(scenario, declared, signal)
          : scenario.iterateModels({ type: declared, status: 'trained' }, { signal });
      for await (const m of candidates) {
        if (m.type !== undefined && m.type !== declared) continue;
        if (modelPhase(m.status) !== 'trained') continue;
        if (needle && !(m.name ?? '').toLowerCase().includes(needle)) continue;
        if (!model || (m.createdAt ?? '') > (model.createdAt ?? '')) model = m;
      }
      if (!model) {
        throw new NodeRunError(
          NODE_ERROR_CODES.loraNotFound,
          `No trained ${declared} model${p.nameContains ? ` whose name contains "${p.nameContains}"` : ''} was found among ${p.from === 'public' ? "Scenario's public models" : "the project's models"}.`,
        );
      }
    }
    const actual = model.type ?? declared;
    if (actual !== declared && !familiesCompatible(modelTypeInfo(actual).family, family)) {
      throw new NodeRunError(
        NODE_ERROR_CODES.loraTypeMismatch,
        `Model ${model.id} is a ${actual} (${familyLabel(modelTypeInfo(actual).family)}), but this node declares ${declared} (${familyLabel(family)}); set the node's model type to ${actual}.`,
      );
    }
    if (modelPhase(model.status) !== 'trained') {
      throw new NodeRunError(
        NODE_ERROR_CODES.loraNotTrained,
        `Model ${model.id} is "${model.status}", not trained, so it cannot be used as a LoRA yet.`,
      );
    }
    const lora: LoraValue = { provider: 'scenario', id: model.id, family, modelType: declared };
    if (model.name) lora.name = model.name;
    return { lora };
  },
});

// The public list has its own endpoint; it pages like the private one.
async function* publicModels(
  scenario: ScenarioClient,
  type: string,
  signal: AbortSignal,
): AsyncGenerator<Model> {
  let paginationToken: string | undefined;
  do {
    const page = await scenario.listPublicModels(
      { type, pageSize: 100, ...(paginationToken ? { paginationToken } : {}) },
      { signal },
    );
    yield* page.items;
    paginationToken = page.nextPaginationToken;
  } while (paginationToken);
}
