import { defineNode, type JsonValue, NodeRunError } from '@loraflow/core';
import { z } from 'zod';
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
import { loraInputType, loraType } from '../types';
import { type LoraValue, loraValueSchema, readInput } from '../values';
import { type EstimateArgs, scenarioEstimate, trainingDryRun } from './estimate';

/**
 * Scale of one LoRA in a composition: Scenario's `concepts[].scale` range (see decision 0007).
 *
 * @example
 * compositionScale.parse({}); // { scale: 1 }
 */
export const compositionScale = z.object({
  scale: z
    .number()
    .min(-2)
    .max(2)
    .multipleOf(0.01)
    .default(1)
    .describe('Influence of this LoRA in the composition (−2..2).'),
});

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
  type: 'lora.compose',
  version: 1,
  title: 'Compose LoRAs',
  category: 'LoRA',
  description:
    'Blends several LoRAs of one family, each with its own scale, into a Scenario composition model and finalises it.',
  params: z.object({
    name: z.string().trim().min(1).max(40).describe('Name of the composition model (a tag is appended).'),
    timeoutMinutes: z
      .number()
      .min(1)
      .max(24 * 60)
      .default(30)
      .describe('How long to wait for the finalisation.'),
  }),
  inputs: {
    loras: {
      type: loraInputType({ provider: 'scenario', families: COMPOSABLE_FAMILIES, role: 'composition' }),
      multiple: true,
      max: 6,
      settings: compositionScale,
      label: 'LoRAs',
    },
  },
  outputs: {
    lora: {
      type: ({ inputTypes }) => {
        const family = typeParam(inputTypes.loras?.[0], 'family') ?? 'unknown';
        return loraType('scenario', family, compositionTypeFor(family));
      },
      label: 'Composition',
      description: "Scenario LoRA of the inputs' family (its model type is the composition type)",
    },
  },
  cache: 'pure',
  sideEffects: true,
  resources: ['provider:scenario'],
  // the composition model lives in the Scenario project it was created in
  scope: ['scenario'],
  validate({ inputTypes }) {
    const families = [
      ...new Set(
        (inputTypes.loras ?? [])
          .map((t) => typeParam(t, 'family'))
          .filter((f): f is string => f !== undefined),
      ),
    ];
    const first = families[0];
    if (first && families.some((f) => !familiesCompatible(f, first))) {
      return [
        {
          code: NODE_ERROR_CODES.mixedFamilies,
          message: `A composition takes LoRAs of one family, but these are ${listAnd(families.map(familyLabel))}.`,
          path: ['inputs', 'loras'],
        },
      ];
    }
    return [];
  },
  estimate: (args: EstimateArgs) =>
    scenarioEstimate(args, (scenario) => {
      const first = (args.inputs.loras as Array<{ value?: { family?: unknown } }> | undefined)?.[0]?.value
        ?.family;
      const type = compositionTypeFor(typeof first === 'string' ? first : 'flux.1');
      return type ? trainingDryRun(scenario, type) : Promise.resolve(undefined);
    }),
  async run(ctx) {
    const scenario = need(ctx, 'scenario');
    const signal = signalOf(ctx);
    const items = ctx.inputs.loras.map((item, i) => ({
      lora: readInput(loraValueSchema, item.value, `loras[${i}]`),
      scale: compositionScale.parse(item.settings ?? {}).scale,
    }));
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
