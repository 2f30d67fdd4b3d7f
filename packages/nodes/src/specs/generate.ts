import { z } from 'zod/mini';
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
    ._default(z.number().check(z.int(), z.gte(64), z.lte(2048), z.multipleOf(8)), 1024)
    .check(z.describe(`${name} in pixels (ModelsLab: at most 1024).`));

const params = z.object({
  prompt: z
    ._default(z.string().check(z.maxLength(10_000)), '')
    .check(z.describe('The prompt (a connected prompt input takes precedence).')),
  negativePrompt: z
    .optional(z.string().check(z.maxLength(10_000)))
    .check(z.describe('What to avoid (ignored by FLUX.2 and other custom routes).')),
  width: side('Width'),
  height: side('Height'),
  samples: z._default(z.number().check(z.int(), z.gte(1), z.lte(4)), 1).check(z.describe('How many images.')),
  steps: z
    .optional(z.number().check(z.int(), z.gte(1), z.lte(150)))
    .check(
      z.describe(
        'Inference steps (the base model default when unset). ModelsLab takes 21, 31 or 41 (flux: 1..50).',
      ),
    ),
  guidance: z
    .optional(z.number().check(z.gte(0), z.lte(20)))
    .check(z.describe('Guidance scale (the base model default when unset).')),
  seed: z
    .optional(z.number().check(z.int(), z.gte(0), z.lte(2_147_483_647)))
    .check(z.describe('Seed; a seeded generation is cached, an unseeded one runs again every run.')),
  scheduler: z
    .optional(z.string().check(z.maxLength(100)))
    .check(z.describe('Scheduler name (Scenario route A and ModelsLab).')),
  // Unset is sent as the documented "yes" (decision 0028); the JSON Schema default shows it without changing cache keys.
  safetyChecker: z.optional(z.boolean()).check(
    z.meta({
      default: true,
      description:
        'ModelsLab: replace an image its NSFW checker flags with a blank one (documented default: yes).',
    }),
  ),
  enhancePrompt: z.optional(z.boolean()).check(
    z.meta({
      default: true,
      description: 'ModelsLab: let it enhance the prompt (documented default: yes).',
    }),
  ),
  baseModelId: z
    .optional(z.string().check(z.minLength(1), z.maxLength(200)))
    .check(
      z.describe(
        'Base model: ModelsLab `model_id`, or the Scenario custom-route base model; defaults per family.',
      ),
    ),
  timeoutMinutes: z
    ._default(z.number().check(z.gte(1), z.lte(120)), 10)
    .check(z.describe('How long to wait for the images.')),
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
