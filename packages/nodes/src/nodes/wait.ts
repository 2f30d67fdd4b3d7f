import { defineNode, type PortType } from '@loraflow/core';
import { z } from 'zod';
import { isEditType } from '../families';
import { waitForTrained } from '../scenario-ops';
import { need } from '../services';
import { loraType, modelType, trainingType } from '../types';
import { type LoraValue, readInput, trainingValueSchema } from '../values';

const str = (t: PortType | undefined, key: string): string | undefined => {
  const v = t?.params?.[key];
  return typeof v === 'string' ? v : undefined;
};

/**
 * `lora.wait`: waits for a started training to finish, with the providers' polling helper
 * (it follows Scenario's own estimate of the remaining time), reporting stage, queue position,
 * progress and remaining time. Outputs the trained LoRA typed by family. Cancelling the run asks
 * Scenario to cancel the training; a failed or cancelled training fails the node with the
 * provider's reason.
 *
 * @example
 * { "id": "wait", "type": "lora.wait", "params": { "timeoutMinutes": 90 } }
 */
export const loraWait = defineNode({
  type: 'lora.wait',
  version: 1,
  title: 'Wait for training',
  category: 'Training',
  description:
    'Waits for a training to finish, reporting queue position, progress and remaining time; outputs the trained LoRA.',
  params: z.object({
    timeoutMinutes: z
      .number()
      .min(1)
      .max(7 * 24 * 60)
      .default(120)
      .describe('Give up waiting after this long (the training itself goes on).'),
  }),
  inputs: { training: { type: trainingType(undefined), label: 'Training' } },
  outputs: {
    lora: {
      type: ({ inputTypes }) => {
        const t = inputTypes.training?.[0];
        return loraType('scenario', str(t, 'family') ?? 'unknown', str(t, 'modelType'));
      },
      label: 'LoRA',
      description: "Scenario LoRA of the training's family",
    },
    model: {
      type: ({ inputTypes }) => {
        const t = inputTypes.training?.[0];
        return modelType('scenario', str(t, 'family') ?? 'unknown', str(t, 'modelType'));
      },
      label: 'Model',
      description: "Scenario model of the training's family (with status and image count)",
    },
  },
  // A finished training does not change: waiting again for the same training key is pointless.
  cache: 'pure',
  resources: ['provider:scenario'],
  async run(ctx) {
    const training = readInput(trainingValueSchema, ctx.inputs.training, 'training');
    const scenario = need(ctx, 'scenario');
    const model = await waitForTrained(ctx, scenario, {
      modelId: training.modelId,
      jobId: training.jobId,
      timeoutMs: ctx.params.timeoutMinutes * 60_000,
    });
    const lora: LoraValue = {
      provider: 'scenario',
      id: model.id,
      family: training.family,
      modelType: training.modelType,
    };
    const name = model.name ?? training.name;
    if (name) lora.name = name;
    return {
      lora,
      model: {
        ...lora,
        status: model.status,
        edit: isEditType(training.modelType),
        trainingImagesNumber: model.trainingImagesNumber ?? null,
      },
    };
  },
});
