export * from './families';
export { type ImageCheck, type ImageInfo, inspectImage, parseDataUrl, toDataUrl } from './image-check';
export { compositionScale, loraCompose } from './nodes/compose';
export { costToEstimate, type EstimateArgs } from './nodes/estimate';
export { GENERATION_LIMITS, generateMultiLora, generationStrength } from './nodes/generate';
export { imagePreview, imageSave } from './nodes/image';
export { loraSource } from './nodes/source';
export { textPrompt } from './nodes/text';
export { loraTrain } from './nodes/train';
export { loraTrainModelsLab, MODELSLAB_TRAINING_FAMILIES } from './nodes/train-modelslab';
export { imageSource, MAX_TRAINING_IMAGES, MIN_PAIRS, trainingSet } from './nodes/training-set';
export { loraWait } from './nodes/wait';
export { loraPack } from './pack';
export { KINDS, type PortTypeLike, portAccepts, portTypeLabel } from './port-rules';
export { describeTraining } from './scenario-ops';
export {
  type FilesService,
  type LoraServices,
  NODE_ERROR_CODES,
  type PollingService,
  remoteTag,
  SERVICE_DOCS,
} from './services';
export { checkTrainingParameters, type ParameterProblem } from './training-params';
export * from './types';
export * from './values';
