import { defineNode, type InputValues, type NodeContext, NodeRunError } from '@loraflow/core';
import { backendFor, generationPrompt, runImageGeneration, runnablePlan } from '../generation/backend';
import { lorasOfConnections, planImageToImage } from '../generation/rules';
import { NODE_ERROR_CODES } from '../services';
import { generateImageToImageSpec } from '../specs/image-to-image';
import { dryRunEstimate } from './estimate';

/** What the run reads from its typed inputs, in one place: the image to start from, the LoRAs with their strengths, the prompt. */
function readInputs(inputs: Inputs, log: NodeContext['log'], typed: string) {
  const [image] = inputs.image;
  if (!image) {
    throw new NodeRunError(
      NODE_ERROR_CODES.inputMissing,
      'The "image" input carries no image to start from.',
    );
  }
  if (inputs.image.length > 1) log.warn(`${inputs.image.length} images arrived; the first is the one used.`);
  const loras = inputs.loras.map((item) => ({ ...item.value, strength: item.settings.strength }));
  return { image, loras, prompt: generationPrompt(inputs.prompt, typed) };
}

type Inputs = InputValues<NonNullable<(typeof generateImageToImageSpec)['inputs']>>;

/**
 * `generate.imageToImage`: images from an input image, a prompt and LoRAs, each at its own
 * strength. Routes by the LoRAs: Scenario's edit route (`generate/custom/{base}` with the image
 * as `referenceImages`) for edit LoRAs (`*-edit-lora`), ModelsLab's img2img (with `strength`)
 * for ModelsLab LoRAs. The input image is uploaded once (an image Scenario made is named by its
 * asset), the outputs are downloaded into the run's store. A seeded generation is cached.
 *
 * @example
 * { "id": "night", "type": "generate.imageToImage", "params": { "prompt": "make it night", "seed": 7 } }
 * // edges: an `images` output into night.image, LoRAs into night.loras with { "settings": { "strength": 1 } }
 */
export const generateImageToImage = defineNode({
  ...generateImageToImageSpec,
  async estimate(args) {
    // params and settings arrive parsed, as run gets them
    const p = args.params;
    const { plan } = planImageToImage(
      p,
      lorasOfConnections(args.inputTypes.loras ?? [], args.inputSettings.loras ?? []),
    );
    if (!plan) return undefined;
    // Scenario prices a generation by its base model, so the LoRAs' ids are not needed.
    const query = { plan, prompt: p.prompt || 'estimate', params: p, loras: undefined };
    return dryRunEstimate(args, plan.provider, (services) =>
      backendFor(services, plan.provider).price(query),
    );
  },
  async run(ctx) {
    const p = ctx.params;
    const { image, loras, prompt } = readInputs(ctx.inputs, ctx.log, p.prompt);
    const plan = runnablePlan(planImageToImage(p, loras));
    const job = { plan, prompt, params: p, loras, image, strength: p.strength };
    const backend = backendFor(ctx.services, plan.provider);
    return { images: await runImageGeneration(ctx, backend, job, p.timeoutMinutes * 60_000) };
  },
});
