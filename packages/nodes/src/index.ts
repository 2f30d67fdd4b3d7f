export * from './definitions';
export {
  type FetchedImage,
  type GenerationBackend,
  type GenerationContext,
  type GenerationJob,
  type GenerationParams,
  type GenerationRequest,
  type ImageGenerationJob,
  type ImageInput,
  type InputFile,
  type PriceQuery,
  runGeneration,
  runImageGeneration,
} from './generation/backend';
export { createModelsLabBackend, type ModelsLabSubmitted } from './generation/modelslab';
export { createScenarioBackend, type ScenarioRequest } from './generation/scenario';
export { type ImageCheck, type ImageInfo, inspectImage, parseDataUrl, toDataUrl } from './image-check';
export {
  createLoraModelSources,
  type LoraModelItem,
  type LoraModelQuery,
  type LoraModelSource,
} from './model-sources';
export { loraCompose } from './nodes/compose';
export { costToEstimate, dryRunEstimate, type EstimateArgs } from './nodes/estimate';
export { generateMultiLora } from './nodes/generate';
export { imagePreview, imageSave } from './nodes/image';
export { generateImageToImage } from './nodes/image-to-image';
export { loraSource } from './nodes/source';
export { textPrompt } from './nodes/text';
export { loraTrain } from './nodes/train';
export { loraTrainModelsLab } from './nodes/train-modelslab';
export { trainingSet } from './nodes/training-set';
export { loraWait } from './nodes/wait';
export { loraPack } from './pack';
export { describeTraining } from './scenario-ops';
export { hookPolling, hookUrl, loraWebhookKinds, WEBHOOK_KINDS, type WebhookService } from './webhooks';
