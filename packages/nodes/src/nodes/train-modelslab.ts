import { defineNode, NodeRunError } from '@loraflow/core';
import { type ModelsLabClient, ProviderError } from '@loraflow/providers';
import { familyLabel } from '../families';
import { toDataUrl } from '../image-check';
import { NODE_ERROR_CODES, need, remoteTag, signalOf } from '../services';
import { loraTrainModelsLabSpec } from '../specs/train-modelslab';
import { type TrainingValue, trainingValueSchema } from '../values';
import { bindHook, hookUrl, WEBHOOK_KINDS } from '../webhooks';

/**
 * `lora.trainModelsLab`: trains an SD 1.5 or SDXL LoRA on ModelsLab (v3 `lora_fine_tune`).
 * The training images are uploaded with ModelsLab's `base64_crop` (the trainer takes public
 * URLs). Wire its output to `lora.wait`; the trained id is then usable as a ModelsLab LoRA.
 *
 * @example
 * { "id": "train", "type": "lora.trainModelsLab", "params": { "family": "sd-xl", "instancePrompt": "photo of lnt0 lantern", "classPrompt": "photo of a lantern" } }
 */
export const loraTrainModelsLab = defineNode({
  ...loraTrainModelsLabSpec,
  estimate: async () => undefined,
  // A training cancelled or failed since it was cached is trained again, never handed on (decision 0027).
  reusable: async ({ outputs, services, signal }) => {
    const training = trainingValueSchema.safeParse(outputs.training);
    if (!training.success || training.data.provider !== 'modelslab') return true;
    return trainingUsable(
      services.get<ModelsLabClient>('modelslab'),
      training.data.modelId,
      signalOf({ signal }),
    );
  },
  async run(ctx) {
    const modelslab = need(ctx, 'modelslab');
    const signal = signalOf(ctx);
    const p = ctx.params;
    const set = ctx.inputs.set;
    if (set.pairs || set.images.length === 0) {
      throw new NodeRunError(
        NODE_ERROR_CODES.setEmpty,
        'ModelsLab trains on images, and the training set has none.',
      );
    }
    const urls: string[] = [];
    for (const [i, image] of set.images.entries()) {
      ctx.progress(i / (set.images.length + 1), `uploading image ${i + 1} of ${set.images.length}`);
      if (!image.blob) {
        throw new NodeRunError(
          NODE_ERROR_CODES.inputInvalid,
          `Training image ${image.name} is a Scenario asset; ModelsLab needs the image itself (a file, URL or data URL).`,
        );
      }
      const blob = image.blob;
      // Uploading the same bytes twice only leaves a spare copy, so an upload needs no reconcile.
      const { url } = await ctx.effect<{ url: string }>(`upload-${i}`, {
        intent: { image: blob.$blob },
        perform: async () => {
          const bytes = await ctx.blobs.get(blob);
          if (!bytes) {
            throw new NodeRunError(
              NODE_ERROR_CODES.blobMissing,
              `Training image ${image.name} is missing from the store; run the training set node again.`,
            );
          }
          return {
            url: await modelslab.base64Crop({ image: toDataUrl(bytes, blob.mime), crop: false }, { signal }),
          };
        },
      });
      urls.push(url);
    }
    const steps = p.maxTrainSteps ?? Math.min(50, Math.max(10, set.images.length * 2));
    // ModelsLab lists trainings by id only, so nothing can be matched after a crash: the journal's intent is the guard.
    const started = await ctx.effect<{ trainingId: string; webhook?: boolean }>('train', {
      intent: { family: p.family, images: urls.length, steps },
      perform: async () => {
        // The URL carries a token: it goes to ModelsLab only, never into the journal (which keeps a flag).
        const webhook = await hookUrl(ctx, WEBHOOK_KINDS.modelslabTraining, remoteTag(ctx.key));
        const r = await modelslab.loraFineTune(
          {
            instancePrompt: p.instancePrompt,
            classPrompt: p.classPrompt,
            baseModelType: p.family === 'sd-1_5' ? 'normal' : 'sdxl',
            images: urls,
            trainingType: p.subject,
            loraType: p.loraType,
            maxTrainSteps: steps,
            ...(p.seed !== undefined ? { seed: p.seed } : {}),
            ...(webhook ? { webhook } : {}),
          },
          { signal },
        );
        return webhook ? { trainingId: r.trainingId, webhook: true } : { trainingId: r.trainingId };
      },
      valid: (r) => trainingUsable(modelslab, r.trainingId, signal),
    });
    // after the effect, so a resumed run that found the training in the journal binds its URL too
    if (started.webhook)
      await bindHook(ctx, WEBHOOK_KINDS.modelslabTraining, remoteTag(ctx.key), started.trainingId);
    if (signal.aborted) {
      await modelslab.cancelTraining(started.trainingId).catch(() => undefined);
      throw signal.reason;
    }
    const training: TrainingValue = {
      provider: 'modelslab',
      modelId: started.trainingId,
      modelType: `${p.family}-lora`,
      family: p.family,
      name: p.instancePrompt,
      ...(started.webhook ? { webhook: true } : {}),
    };
    ctx.progress(1, `training started on ModelsLab ${familyLabel(p.family)}`);
    return { training };
  },
});

/** False once ModelsLab reports the training cancelled, failed or unknown (its status call answers an error then). */
async function trainingUsable(
  modelslab: ModelsLabClient,
  trainingId: string,
  signal: AbortSignal,
): Promise<boolean> {
  try {
    await modelslab.fineTuneStatus(trainingId, { signal });
    return true;
  } catch (error) {
    if (error instanceof ProviderError && !error.retryable && error.code !== 'aborted') return false;
    throw error;
  }
}
