import { z } from 'zod/mini';
import {
  generationProblems,
  generationStrength,
  lorasOfConnections,
  planImageToImage,
} from '../generation/rules';
import { defineSpec } from '../spec';
import { imagesType, loraInputType, textType } from '../types';
import { generateMultiLoraSpec } from './generate';

// A generation's params, but the size follows the input image unless it is set, and a strength.
const generation = generateMultiLoraSpec.params;
const params = z.extend(generation, {
  prompt: generation.shape.prompt.check(
    z.describe(
      'The prompt; for a Scenario edit, the instruction (a connected prompt input takes precedence).',
    ),
  ),
  width: z
    .optional(generation.shape.width.def.innerType)
    .check(z.describe("Width in pixels; unset: the input image's (ModelsLab: at most 1024).")),
  height: z
    .optional(generation.shape.height.def.innerType)
    .check(z.describe("Height in pixels; unset: the input image's (ModelsLab: at most 1024).")),
  strength: z
    ._default(z.number().check(z.gte(0.01), z.lte(1)), 0.6)
    .check(
      z.describe(
        'How much of the input image is replaced, 0.01..1 (ModelsLab img2img); a Scenario edit follows its instruction and takes none.',
      ),
    ),
});

/**
 * What `generate.imageToImage` declares, without its run (a `NodeSpec`): the ports of
 * `generate.multiLora` plus the image to start from; its `validate` asks the image-to-image rules
 * with the connections' types and settings, as its run does with their values.
 *
 * @example
 * defineNode({ ...generateImageToImageSpec, estimate, run });
 */
export const generateImageToImageSpec = defineSpec({
  type: 'generate.imageToImage',
  version: 1,
  title: 'Image to image with LoRAs',
  category: 'Generate',
  description:
    "Generates images from an input image and a prompt with LoRAs: Scenario's edit route for edit LoRAs (*-edit-lora), ModelsLab's img2img for ModelsLab LoRAs. Cached when seeded; unseeded, it runs again every run.",
  params,
  inputs: {
    image: {
      type: imagesType(),
      label: 'Image',
      description: 'the image to start from (the first, when several arrive)',
    },
    loras: { type: loraInputType(), multiple: true, max: 6, settings: generationStrength, label: 'LoRAs' },
    prompt: { type: textType(), optional: true, label: 'Prompt' },
  },
  outputs: generateMultiLoraSpec.outputs,
  cache: (p) => (p.seed === undefined ? 'run' : 'pure'),
  sideEffects: true,
  // the connections' types say which provider the LoRAs are on: the edit holds only its slot
  resources: (p, { inputTypes, inputSettings }) => {
    const { plan } = planImageToImage(
      p,
      lorasOfConnections(inputTypes.loras ?? [], inputSettings.loras ?? []),
    );
    return plan ? [`provider:${plan.provider}`] : [];
  },
  validate: (args) => generationProblems(args, (loras) => planImageToImage(args.params, loras)),
});
