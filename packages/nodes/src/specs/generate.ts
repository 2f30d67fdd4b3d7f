import { z } from 'zod';
import {
  generationProblems,
  generationStrength,
  lorasOfConnections,
  planGeneration,
} from '../generation/rules';
import { defineSpec } from '../spec';
import { imagesType, loraInputType, textType } from '../types';

const side = (name: 'Width' | 'Height') =>
  z
    .number()
    .int()
    .min(64)
    .max(2048)
    .multipleOf(8)
    .default(1024)
    .describe(`${name} in pixels (ModelsLab: at most 1024).`);

const params = z.object({
  prompt: z
    .string()
    .max(10_000)
    .default('')
    .describe('The prompt (a connected prompt input takes precedence).'),
  negativePrompt: z
    .string()
    .max(10_000)
    .optional()
    .describe('What to avoid (ignored by FLUX.2 and other custom routes).'),
  width: side('Width'),
  height: side('Height'),
  samples: z.number().int().min(1).max(4).default(1).describe('How many images.'),
  steps: z
    .number()
    .int()
    .min(1)
    .max(150)
    .optional()
    .describe(
      'Inference steps (the base model default when unset). ModelsLab takes 21, 31 or 41 (flux: 1..50).',
    ),
  guidance: z
    .number()
    .min(0)
    .max(20)
    .optional()
    .describe('Guidance scale (the base model default when unset).'),
  seed: z
    .number()
    .int()
    .min(0)
    .max(2_147_483_647)
    .optional()
    .describe('Seed; a seeded generation is cached, an unseeded one runs again every run.'),
  scheduler: z.string().max(100).optional().describe('Scheduler name (Scenario route A and ModelsLab).'),
  // Unset is sent as the documented "yes" (decision 0028); the JSON Schema default shows it without changing cache keys.
  safetyChecker: z.boolean().optional().meta({
    default: true,
    description:
      'ModelsLab: replace an image its NSFW checker flags with a blank one (documented default: yes).',
  }),
  enhancePrompt: z.boolean().optional().meta({
    default: true,
    description: 'ModelsLab: let it enhance the prompt (documented default: yes).',
  }),
  baseModelId: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe(
      'Base model: ModelsLab `model_id`, or the Scenario custom-route base model; defaults per family.',
    ),
  timeoutMinutes: z.number().min(1).max(120).default(10).describe('How long to wait for the images.'),
});

/**
 * What `generate.multiLora` declares, without its run (a `NodeSpec`): its `validate` asks the
 * generation rules with the connections' types and settings, as its run does with their values.
 *
 * @example
 * defineNode({ ...generateMultiLoraSpec, estimate, run });
 */
export const generateMultiLoraSpec = defineSpec({
  type: 'generate.multiLora',
  version: 1,
  title: 'Generate with LoRAs',
  category: 'Generate',
  description:
    'Generates images with up to six LoRAs, each at its own strength, on ModelsLab or Scenario according to the LoRAs. Cached when seeded; unseeded, it runs again every run.',
  params,
  inputs: {
    loras: { type: loraInputType(), multiple: true, max: 6, settings: generationStrength, label: 'LoRAs' },
    prompt: { type: textType(), optional: true, label: 'Prompt' },
  },
  outputs: { images: { type: imagesType(), label: 'Images' } },
  cache: (p) => (p.seed === undefined ? 'run' : 'pure'),
  sideEffects: true,
  // the connections' types say which provider the LoRAs are on: the generation holds only its slot
  resources: (p, { inputTypes, inputSettings }) => {
    const { plan } = planGeneration(p, lorasOfConnections(inputTypes.loras ?? [], inputSettings.loras ?? []));
    return plan ? [`provider:${plan.provider}`] : [];
  },
  validate: (args) => generationProblems(args, (loras) => planGeneration(args.params, loras)),
});
