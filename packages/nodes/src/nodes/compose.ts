import { defineNode, type JsonValue, NodeRunError } from '@loraflow/core';
import {
  COMPOSABLE_FAMILIES,
  compositionTypeFor,
  familiesCompatible,
  familyLabel,
  listAnd,
} from '../families';
import { typeParam } from '../port-rules';
import { createOnce, findModelByTag, startedAlready, waitForTrained } from '../scenario-ops';
import { NODE_ERROR_CODES, need, remoteTag, signalOf } from '../services';
import { loraComposeSpec } from '../specs/compose';
import type { LoraValue } from '../values';
import { scenarioEstimate, trainingDryRun } from './estimate';

/**
 * `lora.compose`: several LoRAs of one composable family (FLUX.1, SDXL, SD 1.5), each with its
 * own scale at this use, made into a Scenario composition model (`flux.1-composition`, …) and
 * finalised with the train call, as Scenario's composition guide describes.
 *
 * @example
 * { "id": "blend", "type": "lora.compose", "params": { "name": "ink and fog" } }
 * // edges into blend.loras carry { "settings": { "scale": 0.65 } }
 */
export const loraCompose = defineNode({
  ...loraComposeSpec,
  estimate: (args) =>
    scenarioEstimate(args, (scenario) => {
      // the family is known from the connection's type before the LoRA exists
      const first = args.inputs.loras?.[0]?.value.family ?? typeParam(args.inputTypes.loras?.[0], 'family');
      const type = compositionTypeFor(first ?? 'flux.1');
      return type ? trainingDryRun(scenario, type) : Promise.resolve(undefined);
    }),
  async run(ctx) {
    const scenario = need(ctx, 'scenario');
    const signal = signalOf(ctx);
    const items = ctx.inputs.loras.map((item) => ({ lora: item.value, scale: item.settings.scale }));
    if (items.length === 0) {
      throw new NodeRunError(
        NODE_ERROR_CODES.inputMissing,
        'A composition needs at least one LoRA on its "loras" input.',
      );
    }
    const family = items[0]!.lora.family;
    const type = compositionTypeFor(family);
    if (!type) {
      throw new NodeRunError(
        NODE_ERROR_CODES.notComposable,
        `Scenario composes only ${listAnd(COMPOSABLE_FAMILIES.map(familyLabel))} LoRAs, not ${familyLabel(family)}.`,
      );
    }
    const odd = items.find(
      (it) => !familiesCompatible(it.lora.family, family) || it.lora.provider !== 'scenario',
    );
    if (odd) {
      throw new NodeRunError(
        NODE_ERROR_CODES.mixedFamilies,
        `A composition takes Scenario LoRAs of one family; ${odd.lora.id} is a ${odd.lora.provider} ${familyLabel(odd.lora.family)} LoRA, the first is ${familyLabel(family)}.`,
      );
    }
    for (const warning of beyondTheGuide(family, items)) ctx.log.warn(warning);
    const tag = remoteTag(ctx.key);
    const concepts = items.map((it) => ({ modelId: it.lora.id, scale: it.scale }));
    const findCreated = async () => {
      const found = await findModelByTag(scenario, type, tag, signal);
      return found ? { modelId: found.id } : undefined;
    };
    const created = await ctx.effect<{ modelId: string }>('create', {
      intent: { type, name: ctx.params.name, tag, concepts } as JsonValue,
      perform: () =>
        createOnce(ctx, {
          attempt: async () => {
            const model = await scenario.createModel(
              { name: `${ctx.params.name} ${tag}`, shortDescription: `loraflow ${tag}`, type, concepts },
              { signal },
            );
            return { modelId: model.id };
          },
          find: findCreated,
        }),
      reconcile: findCreated,
    });
    const started = await ctx.effect<{ jobId: string | null }>('finalise', {
      intent: { modelId: created.modelId },
      perform: () =>
        createOnce(ctx, {
          attempt: async () => {
            const r = await scenario.trainModel(created.modelId, { parameters: {} }, { signal });
            return { jobId: r.job.jobId as string | null };
          },
          find: () => startedAlready(scenario, created.modelId, signal),
        }),
      reconcile: () => startedAlready(scenario, created.modelId, signal),
    });
    ctx.progress(0, 'finalising the composition');
    const model = await waitForTrained(ctx, scenario, {
      modelId: created.modelId,
      jobId: started.jobId ?? undefined,
      timeoutMs: ctx.params.timeoutMinutes * 60_000,
    });
    const lora: LoraValue = {
      provider: 'scenario',
      id: model.id,
      family,
      modelType: type,
      name: ctx.params.name,
    };
    return { lora };
  },
});

/**
 * What Scenario's composition guide does not cover (seed 000): composing is "for the moment only
 * applicable for Flux", and a concept's scale is "a value between 0 and 1". The API accepts more
 * (SDXL and SD 1.5 compositions, scales −2..2), so these are said, not refused.
 */
function beyondTheGuide(family: string, items: ReadonlyArray<{ lora: LoraValue; scale: number }>): string[] {
  const out: string[] = [];
  if (!familiesCompatible(family, 'flux.1')) {
    out.push(
      `Scenario documents composition for FLUX.1 LoRAs only ("for the moment"); composing ${familyLabel(family)} LoRAs goes beyond the documented support and may change without notice.`,
    );
  }
  for (const { lora, scale } of items) {
    if (scale < 0 || scale > 1)
      out.push(`${lora.name ?? lora.id} has scale ${scale}, outside the documented 0..1 of a composition.`);
  }
  return out;
}
