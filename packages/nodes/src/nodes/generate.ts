import { defineNode, NodeRunError } from '@loraflow/core';
import { backendFor, runGeneration } from '../generation/backend';
import { type GenerationLora, lorasOfConnections, NO_PROMPT, planGeneration } from '../generation/rules';
import { NODE_ERROR_CODES } from '../services';
import { generateMultiLoraSpec } from '../specs/generate';
import type { LoraValue } from '../values';
import { dryRunEstimate } from './estimate';

type Args = Parameters<NonNullable<(typeof generateMultiLora)['estimate']>>[0];

/**
 * The LoRAs an estimate can see: their values when upstream has them all cached (the engine hands
 * an input over only whole, its settings parsed as `run` gets them), else what the connections'
 * types and settings say — then they have no id yet and only the plan and the params can be priced.
 */
function lorasToPrice(
  args: Args,
):
  | { known: true; loras: Array<LoraValue & { strength: number }> }
  | { known: false; loras: GenerationLora[] } {
  const items = args.inputs.loras;
  if (items && items.length > 0)
    return { known: true, loras: items.map((item) => ({ ...item.value, strength: item.settings.strength })) };
  return {
    known: false,
    loras: lorasOfConnections(args.inputTypes.loras ?? [], args.inputSettings.loras ?? []),
  };
}

/**
 * `generate.multiLora`: images from a prompt with several LoRAs, each with its own strength.
 * Routes by the LoRAs' provider and family: ModelsLab text2img, Scenario `generate/txt2img`
 * (FLUX.1, SDXL, SD 1.5) or Scenario `generate/custom/{base}` (FLUX.2, Qwen-Image, Z-Image…).
 * The images are downloaded into the run's store. A seeded generation is cached; an unseeded
 * one runs again every run.
 *
 * @example
 * { "id": "gen", "type": "generate.multiLora", "params": { "prompt": "a fox", "width": 1024, "height": 768, "seed": 7 } }
 * // edges into gen.loras carry { "settings": { "strength": 0.8 } }
 */
export const generateMultiLora = defineNode({
  ...generateMultiLoraSpec,
  async estimate(args) {
    const p = args.params;
    const known = lorasToPrice(args);
    const { plan } = planGeneration(p, known.loras);
    if (!plan) return undefined;
    const query = {
      plan,
      prompt: p.prompt || 'estimate',
      params: p,
      loras: known.known ? known.loras : undefined,
    };
    return dryRunEstimate(args, plan.provider, (services) =>
      backendFor(services, plan.provider).price(query),
    );
  },
  async run(ctx) {
    const p = ctx.params;
    const loras = ctx.inputs.loras.map((item) => ({ ...item.value, strength: item.settings.strength }));
    const connected = ctx.inputs.prompt;
    const prompt = connected !== undefined && connected.trim() !== '' ? connected : p.prompt;
    if (prompt.trim() === '') throw new NodeRunError(NO_PROMPT.code, NO_PROMPT.message);
    const { plan, problems } = planGeneration(p, loras);
    if (problems[0]) throw new NodeRunError(problems[0].code, problems[0].message);
    if (!plan) {
      throw new NodeRunError(
        NODE_ERROR_CODES.inputMissing,
        'A generation needs at least one LoRA on its "loras" input.',
      );
    }
    const backend = backendFor(ctx.services, plan.provider);
    const job = { plan, prompt, params: p, loras };
    return { images: await runGeneration(ctx, backend, job, p.timeoutMinutes * 60_000) };
  },
});
