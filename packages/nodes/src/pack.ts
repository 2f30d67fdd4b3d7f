import { definePack } from '@loraflow/core';
import { loraCompose } from './nodes/compose';
import { generateMultiLora } from './nodes/generate';
import { imagePreview, imageSave } from './nodes/image';
import { generateImageToImage } from './nodes/image-to-image';
import { loraSource } from './nodes/source';
import { textPrompt } from './nodes/text';
import { loraTrain } from './nodes/train';
import { loraTrainModelsLab } from './nodes/train-modelslab';
import { trainingSet } from './nodes/training-set';
import { loraWait } from './nodes/wait';
import { loraTypes } from './types';

/**
 * The LoRA node pack: its nodes and port types. Register it with the core's registry and give
 * the engine (or runtime) the services it needs (see `LoraServices`).
 *
 * @example
 * const registry = createRegistry(loraPack);
 * const engine = createEngine({ registry, services: { scenario, modelslab, files } });
 */
export const loraPack = definePack({
  name: 'lora',
  nodes: [
    textPrompt,
    loraSource,
    loraCompose,
    trainingSet,
    loraTrain,
    loraTrainModelsLab,
    loraWait,
    generateMultiLora,
    generateImageToImage,
    imagePreview,
    imageSave,
  ],
  types: loraTypes,
});
