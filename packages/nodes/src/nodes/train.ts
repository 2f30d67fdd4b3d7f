import { defineNode, type NodeContext, NodeRunError } from '@loraflow/core';
import type { ScenarioClient } from '@loraflow/providers';
import { familyLabel, isEditType, modelTypeInfo } from '../families';
import { toDataUrl } from '../image-check';
import { createOnce, findModelByTag, modelUsable, startedAlready } from '../scenario-ops';
import { NODE_ERROR_CODES, need, remoteTag, signalOf } from '../services';
import { loraTrainSpec } from '../specs/train';
import { MIN_PAIRS } from '../specs/training-set';
import { type TrainingImageValue, type TrainingValue, trainingValueSchema } from '../values';
import { scenarioEstimate, trainingDryRun } from './estimate';

type Ctx = Pick<NodeContext, 'effect' | 'blobs' | 'signal' | 'services'>;

/**
 * `lora.train`: creates a Scenario model of a training type, uploads the training set, and
 * starts training. Every remote step is a journaled effect, and the model carries a tag derived
 * from the node's cache key, so a resumed run finds the model it already created instead of
 * creating or training twice. Wire its output to `lora.wait`.
 *
 * @example
 * { "id": "train", "type": "lora.train", "params": { "modelType": "flux.1-lora", "name": "my cat", "parameters": { "nbEpochs": 8 } } }
 */
export const loraTrain = defineNode({
  ...loraTrainSpec,
  estimate: (args) =>
    scenarioEstimate(args, (scenario) => {
      const set = args.inputs.set;
      const count = set ? set.images.length + set.pairList.length * 2 : undefined;
      return trainingDryRun(scenario, args.params.modelType, count);
    }),
  // A training cancelled or failed since it was cached is trained again, never handed on (decision 0027).
  reusable: async ({ outputs, services, signal }) => {
    const training = trainingValueSchema.safeParse(outputs.training);
    if (!training.success || training.data.provider !== 'scenario') return true;
    return modelUsable(services.get<ScenarioClient>('scenario'), training.data.modelId, signalOf({ signal }));
  },
  async run(ctx) {
    const scenario = need(ctx, 'scenario');
    const signal = signalOf(ctx);
    const p = ctx.params;
    const set = ctx.inputs.set;
    const edit = isEditType(p.modelType);
    if (edit && set.pairList.length < MIN_PAIRS) {
      throw new NodeRunError(
        NODE_ERROR_CODES.setTooFewPairs,
        `${p.modelType} is an edit training type: it needs at least ${MIN_PAIRS} before/after pairs, and the training set has ${set.pairList.length}.`,
      );
    }
    if (!edit && set.images.length === 0) {
      throw new NodeRunError(
        NODE_ERROR_CODES.setEmpty,
        `${p.modelType} trains on images, and the training set has none (it holds before/after pairs, which only edit types use).`,
      );
    }
    const tag = remoteTag(ctx.key);
    const findCreated = async () => {
      const found = await findModelByTag(scenario, p.modelType, tag, signal);
      return found ? { modelId: found.id } : undefined;
    };
    const created = await ctx.effect<{ modelId: string }>('create', {
      intent: { type: p.modelType, name: p.name, tag },
      perform: () =>
        createOnce(ctx, {
          attempt: async () => {
            const model = await scenario.createModel(
              { name: `${p.name} ${tag}`, shortDescription: `loraflow ${tag}`, type: p.modelType },
              { signal },
            );
            return { modelId: model.id };
          },
          find: findCreated,
        }),
      reconcile: findCreated,
      valid: (r) => modelUsable(scenario, r.modelId, signal),
    });
    const modelId = created.modelId;
    // What was recorded for a model that has since been replaced belongs to that model, not this one.
    const forThisModel = (_: unknown, intent: unknown) =>
      (intent as { modelId?: unknown }).modelId === modelId;
    const uploads = edit ? set.pairList.flatMap((pair) => [pair.source, pair.target]) : set.images;
    const assetIds: string[] = [];
    for (const [i, image] of uploads.entries()) {
      ctx.progress(i / (uploads.length + 1), `uploading image ${i + 1} of ${uploads.length}`);
      assetIds.push(await upload(ctx, scenario, modelId, image, i));
    }
    if (edit) {
      const pairs = set.pairList.map((pair, i) => ({
        sourceId: assetIds[i * 2]!,
        targetId: assetIds[i * 2 + 1]!,
        instruction: pair.instruction,
      }));
      // Replacing all pairs is idempotent, so a repeat after a crash is harmless.
      await ctx.effect<{ count: number }>('pairs', {
        intent: { modelId, count: pairs.length },
        perform: () =>
          createOnce(ctx, {
            attempt: async () => {
              await scenario.replaceTrainingImagePairs(modelId, pairs, { signal });
              return { count: pairs.length };
            },
            idempotent: true,
          }),
        valid: forThisModel,
      });
    }
    ctx.progress(uploads.length / (uploads.length + 1), 'starting the training');
    const started = await ctx.effect<{ jobId: string | null }>('train', {
      intent: { modelId, parameters: p.parameters as Record<string, never> },
      perform: () =>
        createOnce(ctx, {
          attempt: async () => {
            const r = await scenario.trainModel(modelId, { parameters: p.parameters }, { signal });
            return { jobId: r.job.jobId as string | null };
          },
          find: () => startedAlready(scenario, modelId, signal),
        }),
      reconcile: () => startedAlready(scenario, modelId, signal),
      valid: forThisModel,
    });
    if (signal.aborted) {
      await scenario.cancelTraining(modelId).catch(() => undefined);
      throw signal.reason;
    }
    const training: TrainingValue = {
      provider: 'scenario',
      modelId,
      modelType: p.modelType,
      family: modelTypeInfo(p.modelType).family,
      name: p.name,
    };
    if (started.jobId) training.jobId = started.jobId;
    ctx.progress(1, `training started on ${familyLabel(training.family)}`);
    return { training };
  },
});

async function upload(
  ctx: Ctx,
  scenario: ScenarioClient,
  modelId: string,
  image: TrainingImageValue,
  index: number,
): Promise<string> {
  const signal = signalOf(ctx);
  // A numbered name lets a resumed run recognise an upload that reached Scenario before a crash.
  const name = `${String(index + 1).padStart(2, '0')}-${image.name}`.slice(0, 200);
  const uploadOnce = async (): Promise<{ assetId: string }> => {
    if (image.assetId) {
      const t = await scenario.addTrainingImage(modelId, { assetId: image.assetId }, { signal });
      return { assetId: t.id };
    }
    if (!image.blob)
      throw new NodeRunError(
        NODE_ERROR_CODES.inputInvalid,
        `Training image ${name} has neither bytes nor an asset id.`,
      );
    const bytes = await ctx.blobs.get(image.blob);
    if (!bytes) {
      throw new NodeRunError(
        NODE_ERROR_CODES.imageUnreadable,
        `Training image ${name} is missing from the store; run the training set node again.`,
      );
    }
    const t = await scenario.addTrainingImage(
      modelId,
      { name, data: toDataUrl(bytes, image.blob.mime) },
      { signal },
    );
    return { assetId: t.id };
  };
  const findUploaded = async (): Promise<{ assetId: string } | undefined> => {
    const model = await scenario.getModel(modelId, { signal });
    const found = model.trainingImages?.find(
      (t) => t.name === name || (image.assetId !== undefined && t.id === image.assetId),
    );
    return found ? { assetId: found.id } : undefined;
  };
  const result = await ctx.effect<{ assetId: string }>(`upload-${index}`, {
    intent: { modelId, name, source: image.assetId ?? image.blob?.$blob ?? null },
    perform: () => createOnce(ctx, { attempt: uploadOnce, find: findUploaded }),
    reconcile: findUploaded,
    // recorded for a model since replaced (its training was cancelled): upload to this one
    valid: (_, intent) => (intent as { modelId?: unknown }).modelId === modelId,
  });
  return result.assetId;
}
