// What the LoRA pack's nodes start at a provider, and how to stop it for a run whose executor died (decision 0032):
// each stopper reads the step's journal records (the effect names the nodes use) and asks the provider first.
import { type ModelsLabClient, modelPhase, ProviderError, type ScenarioClient } from '@loraflow/providers';
import type { StopAnswer, StopStep, WorkStopper } from '@loraflow/runtime';

const field = (value: unknown, name: string): string | undefined => {
  const found = (value as Record<string, unknown> | null | undefined)?.[name];
  return typeof found === 'string' && found !== '' ? found : undefined;
};

/** A Scenario model trained by `effect` (a training's `train`, a composition's `finalise`): cancelled while training. */
const scenarioTraining =
  (effect: string): WorkStopper =>
  async ({ effects, services, signal }: StopStep): Promise<StopAnswer> => {
    const started = effects[effect];
    const modelId = field(started?.intent, 'modelId') ?? field(effects.create?.result, 'modelId');
    if (!started || !modelId)
      return { outcome: 'ended', message: 'No training was started at Scenario for this step.' };
    const scenario = services.get<ScenarioClient>('scenario');
    if (!scenario)
      return { outcome: 'unknown', message: `No Scenario client to cancel model ${modelId} with.` };
    // reconciled, not repeated blindly: the model says whether its training is still going
    const phaseNow = async () => modelPhase((await scenario.getModel(modelId, { signal })).status);
    const phase = await phaseNow();
    if (phase !== 'training')
      return {
        outcome: 'ended',
        message: `The training of Scenario model ${modelId} had already ended (${phase}).`,
      };
    try {
      await scenario.cancelTraining(modelId, { signal });
    } catch (error) {
      // a cancel resent after a lost answer is refused (not training): the model says whether it stopped
      if (!(error instanceof ProviderError) || error.retryable || (await phaseNow()) === 'training')
        throw error;
    }
    return { outcome: 'cancelled', message: `Asked Scenario to cancel the training of model ${modelId}.` };
  };

// refusals about the caller's key or account, not the training: it may still be going (and billed)
const REFUSED: ReadonlySet<string> = new Set(['authentication', 'permission', 'insufficient_credits']);

/** Whether ModelsLab reports the training still going; it answers its status call with an error once one ended. */
async function modelslabGoing(
  modelslab: ModelsLabClient,
  trainingId: string,
  signal: AbortSignal,
): Promise<boolean> {
  try {
    return !(await modelslab.fineTuneStatus(trainingId, { signal })).done;
  } catch (error) {
    if (error instanceof ProviderError && !error.retryable && !REFUSED.has(error.code)) return false;
    throw error;
  }
}

const modelslabTraining: WorkStopper = async ({ effects, services, signal }) => {
  const started = effects.train;
  if (!started) return { outcome: 'ended', message: 'No training was started at ModelsLab for this step.' };
  const trainingId = field(started.result, 'trainingId');
  // ModelsLab lists trainings by id only: a call that may have landed without its answer cannot be found again
  if (!trainingId)
    return {
      outcome: 'unknown',
      message:
        'A ModelsLab training may have started, but its id was never recorded; it cannot be cancelled from here.',
    };
  const modelslab = services.get<ModelsLabClient>('modelslab');
  if (!modelslab)
    return { outcome: 'unknown', message: `No ModelsLab client to cancel training ${trainingId} with.` };
  if (!(await modelslabGoing(modelslab, trainingId, signal)))
    return { outcome: 'ended', message: `ModelsLab training ${trainingId} had already ended.` };
  try {
    await modelslab.cancelTraining(trainingId, { signal });
  } catch (error) {
    // a cancel resent after a lost answer is refused as finished: the training's status says whether it stopped
    if (!(error instanceof ProviderError) || error.retryable || REFUSED.has(error.code)) throw error;
    if (await modelslabGoing(modelslab, trainingId, signal)) throw error;
  }
  return { outcome: 'cancelled', message: `Asked ModelsLab to cancel training ${trainingId}.` };
};

/**
 * The LoRA pack's stoppers, by node type: Scenario trainings and compositions, ModelsLab trainings. Generations
 * have no cancel at either provider, so an orphaned run's unfinished generation is reported as a warning.
 *
 * @example
 * createRuntime({ registry: createRegistry(loraPack), store, services, stoppers: loraStoppers });
 */
export const loraStoppers: Readonly<Record<string, WorkStopper>> = {
  'lora.train': scenarioTraining('train'),
  'lora.compose': scenarioTraining('finalise'),
  'lora.trainModelsLab': modelslabTraining,
};
