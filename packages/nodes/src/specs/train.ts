import { z } from 'zod/mini';
import { isEditType, modelTypeInfo, TRAINING_TYPES } from '../families';
import { defineSpec } from '../spec';
import { checkTrainingParameters } from '../training-params';
import { trainingSetType, trainingType } from '../types';

const params = z
  .object({
    modelType: z
      .enum(TRAINING_TYPES)
      .check(z.describe('The training type; it decides the base family of the LoRA.')),
    name: z
      ._default(z.string().check(z.trim(), z.minLength(1), z.maxLength(40)), 'loraflow LoRA')
      .check(z.describe('Model name (a tag is appended).')),
    parameters: z
      ._default(z.record(z.string(), z.unknown()), {})
      .check(
        z.describe(
          'Training parameters of this type (learningRate, rank, nbEpochs, …), checked per trainer.',
        ),
      ),
  })
  .check(
    z.superRefine((p, c) => {
      for (const problem of checkTrainingParameters(p.modelType, p.parameters)) {
        c.addIssue({ code: 'custom', path: ['parameters', ...problem.path], message: problem.message });
      }
    }),
  );

/**
 * What `lora.train` declares, without its run (a `NodeSpec`).
 *
 * @example
 * defineNode({ ...loraTrainSpec, run });
 */
export const loraTrainSpec = defineSpec({
  type: 'lora.train',
  version: 1,
  title: 'Train LoRA',
  category: 'Training',
  description:
    'Creates a Scenario model of a training type, uploads the training set and starts training; cancelling the run cancels the training.',
  params,
  inputs: {
    set: {
      type: (p: z.output<typeof params>) => trainingSetType(isEditType(p.modelType)),
      label: 'Training set',
      description: 'training set of images; of before/after pairs for `*-edit-lora` types',
    },
  },
  outputs: {
    training: {
      type: ({ params: p }) => trainingType('scenario', modelTypeInfo(p.modelType).family, p.modelType),
      label: 'Training',
      description: 'Scenario training of the family of `modelType`',
    },
  },
  cache: 'pure',
  sideEffects: true,
  resources: ['provider:scenario'],
  // the trained model lives in the Scenario project it was created in
  scope: ['scenario'],
});
