import type { PortType } from '@loraflow/core';
import { z } from 'zod/mini';
import type { Provider } from '../families';
import { typeParam } from '../port-rules';
import { defineSpec } from '../spec';
import { loraType, modelType, trainingType } from '../types';

/** An output type of the connected training's provider, family and model type. */
const ofTraining =
  (make: (provider: Provider, family: string, type?: string) => PortType) =>
  ({ inputTypes }: { inputTypes: Record<string, PortType[]> }): PortType => {
    const t = inputTypes.training?.[0];
    const provider = typeParam(t, 'provider') === 'modelslab' ? 'modelslab' : 'scenario';
    return make(provider, typeParam(t, 'family') ?? 'unknown', typeParam(t, 'modelType'));
  };

/**
 * What `lora.wait` declares, without its run (a `NodeSpec`).
 *
 * @example
 * defineNode({ ...loraWaitSpec, run });
 */
export const loraWaitSpec = defineSpec({
  type: 'lora.wait',
  version: 1,
  title: 'Wait for training',
  category: 'Training',
  description:
    'Waits for a training to finish, reporting queue position, progress and remaining time; outputs the trained LoRA.',
  params: z.object({
    timeoutMinutes: z
      ._default(z.number().check(z.gte(1), z.lte(7 * 24 * 60)), 120)
      .check(z.describe('Give up waiting after this long (the training itself goes on).')),
  }),
  inputs: { training: { type: trainingType(undefined), label: 'Training' } },
  outputs: {
    lora: {
      type: ofTraining(loraType),
      label: 'LoRA',
      description: "Scenario LoRA of the training's family",
    },
    model: {
      type: ofTraining(modelType),
      label: 'Model',
      description: "Scenario model of the training's family (with status and image count)",
    },
  },
  // A finished training does not change: waiting again for the same training key is pointless.
  cache: 'pure',
});
