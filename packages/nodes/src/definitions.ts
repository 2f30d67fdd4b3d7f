/**
 * `@loraflow/nodes/definitions`: the LoRA pack's node definitions — types, ports, params, docs
 * and validation rules — without their run code, for an editor page. It reaches no provider
 * client, no PNG codec and no undici (a bundle test holds it); register `loraPack` from
 * `@loraflow/nodes` where graphs run. Decision 0021.
 */
import { definePack } from '@loraflow/core';
import { definitionOnly } from './spec';
import { loraComposeSpec } from './specs/compose';
import { generateMultiLoraSpec } from './specs/generate';
import { imagePreviewSpec, imageSaveSpec } from './specs/image';
import { generateImageToImageSpec } from './specs/image-to-image';
import { loraSourceSpec } from './specs/source';
import { textPromptSpec } from './specs/text';
import { loraTrainSpec } from './specs/train';
import { loraTrainModelsLabSpec } from './specs/train-modelslab';
import { trainingSetSpec } from './specs/training-set';
import { loraWaitSpec } from './specs/wait';
import { loraTypes } from './types';

export * from './families';
export {
  FLUX1_CUSTOM_BASE,
  GENERATION_LIMITS,
  type GenerationLora,
  type GenerationPlan,
  type GenerationRoute,
  type GenerationRules,
  type GenerationSettings,
  generationProblems,
  generationStrength,
  type ImageToImageSettings,
  lorasOfConnections,
  NO_PROMPT,
  planGeneration,
  planImageToImage,
} from './generation/rules';
export { KINDS, type PortTypeLike, portAccepts, portTypeLabel, typeParam } from './port-rules';
export {
  type FilesService,
  type LoraServices,
  NODE_ERROR_CODES,
  type PollingService,
  remoteTag,
  SERVICE_DOCS,
} from './services';
export { defineSpec, definitionOnly, type NodeSpec } from './spec';
export { compositionScale, loraComposeSpec } from './specs/compose';
export { generateMultiLoraSpec } from './specs/generate';
export { imagePreviewSpec, imageSaveSpec } from './specs/image';
export { generateImageToImageSpec } from './specs/image-to-image';
export { loraSourceSpec } from './specs/source';
export { textPromptSpec } from './specs/text';
export { loraTrainSpec } from './specs/train';
export { loraTrainModelsLabSpec, MODELSLAB_TRAINING_FAMILIES } from './specs/train-modelslab';
export {
  type ImageSource,
  imageSource,
  MAX_TRAINING_IMAGES,
  MIN_PAIRS,
  trainingSetSpec,
} from './specs/training-set';
export { loraWaitSpec } from './specs/wait';
export { checkTrainingParameters, type ParameterProblem } from './training-params';
export * from './types';
export * from './values';

/**
 * The LoRA pack as definitions only: the same node types, ports, params and rules as `loraPack`,
 * each with a run that refuses (`node.definition-only`). Give it to the editor on a page that
 * does not run graphs itself (it runs them through a runtime, local or remote).
 *
 * @example
 * import { loraPackDefinitions } from '@loraflow/nodes/definitions';
 * <LoraflowEditor packs={[loraPackDefinitions]} runtime={remoteRuntime} />
 */
export const loraPackDefinitions = definePack({
  name: 'lora',
  nodes: [
    definitionOnly(textPromptSpec),
    definitionOnly(loraSourceSpec),
    definitionOnly(loraComposeSpec),
    definitionOnly(trainingSetSpec),
    definitionOnly(loraTrainSpec),
    definitionOnly(loraTrainModelsLabSpec),
    definitionOnly(loraWaitSpec),
    definitionOnly(generateMultiLoraSpec),
    definitionOnly(generateImageToImageSpec),
    definitionOnly(imagePreviewSpec),
    definitionOnly(imageSaveSpec),
  ],
  types: loraTypes,
});
