import { defineNode, type NodeContext, NodeRunError } from '@loraflow/core';
import { ProviderError, TRAINING_STAGES, waitForModelsLabTraining } from '@loraflow/providers';
import { isEditType } from '../families';
import { waitForTrained } from '../scenario-ops';
import { NODE_ERROR_CODES, need, signalOf } from '../services';
import { loraWaitSpec } from '../specs/wait';
import type { LoraValue, TrainingValue } from '../values';
import { hookPolling, WEBHOOK_KINDS, webhooks } from '../webhooks';

/**
 * `lora.wait`: waits for a started training to finish, with the providers' polling helper
 * (it follows Scenario's own estimate of the remaining time), reporting stage, queue position,
 * progress and remaining time. Outputs the trained LoRA typed by family. Cancelling the run asks
 * Scenario to cancel the training; a failed or cancelled training fails the node with the
 * provider's reason.
 *
 * @example
 * { "id": "wait", "type": "lora.wait", "params": { "timeoutMinutes": 90 } }
 */
export const loraWait = defineNode({
  ...loraWaitSpec,
  async run(ctx) {
    const training = ctx.inputs.training;
    if (training.provider === 'modelslab') return waitModelsLab(ctx, training);
    const scenario = need(ctx, 'scenario');
    const model = await waitForTrained(ctx, scenario, {
      modelId: training.modelId,
      jobId: training.jobId,
      timeoutMs: ctx.params.timeoutMinutes * 60_000,
    });
    const lora: LoraValue = {
      provider: 'scenario',
      id: model.id,
      family: training.family,
      modelType: training.modelType,
    };
    const name = model.name ?? training.name;
    if (name) lora.name = name;
    return {
      lora,
      model: {
        ...lora,
        status: model.status,
        edit: isEditType(training.modelType),
        trainingImagesNumber: model.trainingImagesNumber ?? null,
      },
    };
  },
});

async function waitModelsLab(
  ctx: Pick<NodeContext, 'services' | 'signal' | 'progress'> & { params: { timeoutMinutes: number } },
  training: TrainingValue,
): Promise<{ lora: LoraValue; model: Record<string, unknown> }> {
  const modelslab = need(ctx, 'modelslab');
  const signal = signalOf(ctx);
  const timeoutMs = ctx.params.timeoutMinutes * 60_000;
  let shown = -1;
  const report = (stageIndex: number, stage: string) => {
    // a callback and a poll may cross: progress never steps back
    if (stageIndex < shown) return;
    shown = stageIndex;
    ctx.progress(Math.max(0, stageIndex + 1) / TRAINING_STAGES.length, stage, { stage: stageIndex });
  };
  // Stage callbacks show progress between the safety-net polls; only a status read decides the end.
  const unwatch = training.webhook
    ? webhooks(ctx)?.notices?.(WEBHOOK_KINDS.modelslabTraining, training.modelId, ({ stage }) => {
        const index = TRAINING_STAGES.indexOf(stage as never);
        if (stage && index >= 0) report(index, stage);
      })
    : undefined;
  try {
    await waitForModelsLabTraining({
      ...hookPolling(
        ctx,
        training.webhook ? { kind: WEBHOOK_KINDS.modelslabTraining, job: training.modelId } : undefined,
      ),
      client: modelslab,
      trainingId: training.modelId,
      timeoutMs,
      signal,
      onProgress: (s) => report(s.stageIndex, s.stage),
    });
  } catch (error) {
    if (signal.aborted) {
      await modelslab.cancelTraining(training.modelId).catch(() => undefined);
      throw error;
    }
    if (!(error instanceof ProviderError)) throw error;
    if (error.code === 'wait_timeout') {
      throw new NodeRunError(
        NODE_ERROR_CODES.trainingTimeout,
        `ModelsLab training ${training.modelId} was still running after ${ctx.params.timeoutMinutes} min; run again to keep waiting (the training is not restarted).`,
      );
    }
    const reason = error.reason ?? error.message;
    if (error.retryable) throw error;
    const cancelled = /cancel/i.test(reason);
    throw new NodeRunError(
      cancelled ? NODE_ERROR_CODES.trainingCancelled : NODE_ERROR_CODES.trainingFailed,
      `The training ${training.modelId} ${cancelled ? 'was cancelled' : 'failed'} at ModelsLab: ${reason.replace(/\.$/, '')}.`,
    );
  } finally {
    unwatch?.();
  }
  const lora: LoraValue = {
    provider: 'modelslab',
    id: training.modelId,
    family: training.family,
    modelType: training.modelType,
  };
  if (training.name) lora.name = training.name;
  return { lora, model: { ...lora, status: 'model_ready' } };
}
