import { defineNode, NodeRunError } from '@loraflow/core';
import { type Model, modelPhase, type ScenarioClient } from '@loraflow/providers';
import { familiesCompatible, familyLabel, modelTypeInfo } from '../families';
import { NODE_ERROR_CODES, need, signalOf } from '../services';
import { loraSourceSpec } from '../specs/source';
import type { LoraValue } from '../values';

/**
 * `lora.source`: one LoRA, by id or picked from the provider's list by type (and name). Its
 * output is typed by the LoRA's base family and provider, so wrong wiring shows before running.
 *
 * @example
 * { "id": "style", "type": "lora.source", "params": { "modelId": "model_abc", "modelType": "flux.1-lora" } }
 * { "id": "ml", "type": "lora.source", "params": { "provider": "modelslab", "modelId": "more_details", "family": "sd-xl" } }
 */
export const loraSource = defineNode({
  ...loraSourceSpec,
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
