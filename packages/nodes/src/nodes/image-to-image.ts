import { defineNode, type NodeContext, NodeRunError } from '@loraflow/core';
import { backendFor, generationPrompt, runImageGeneration, runnablePlan } from '../generation/backend';
import { generationStrength, lorasOfConnections, planImageToImage } from '../generation/rules';
import { NODE_ERROR_CODES } from '../services';
import { generateImageToImageSpec } from '../specs/image-to-image';
import { imagesValueSchema, loraValueSchema, readInput } from '../values';
import { dryRunEstimate, type EstimateArgs } from './estimate';

/** What the run reads from its inputs, in one place: the image to start from, the LoRAs with their strengths, the prompt. */
function readInputs(
  inputs: { image: unknown; loras: ReadonlyArray<{ value: unknown; settings?: unknown }>; prompt: unknown },
  log: NodeContext['log'],
  typed: string,
) {
  const images = readInput(imagesValueSchema, inputs.image, 'image');
  const [image] = images;
  if (!image) {
    throw new NodeRunError(
      NODE_ERROR_CODES.inputMissing,
      'The "image" input carries no image to start from.',
    );
  }
  if (images.length > 1) log.warn(`${images.length} images arrived; the first is the one used.`);
  const loras = inputs.loras.map((item, i) => ({
    ...readInput(loraValueSchema, item.value, `loras[${i}]`),
    strength: generationStrength.parse(item.settings ?? {}).strength,
  }));
  return { image, loras, prompt: generationPrompt(inputs.prompt, typed) };
}

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
  async estimate(args: EstimateArgs) {
    const parsed = generateImageToImageSpec.params.safeParse(args.params);
    if (!parsed.success) return undefined;
    const p = parsed.data;
    const { plan } = planImageToImage(p, lorasOfConnections(args.inputTypes?.loras ?? []));
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
