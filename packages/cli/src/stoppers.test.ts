import type { JournalRecord } from '@loraflow/core';
import { EMULATOR_CREDENTIALS, type RunningEmulator, startEmulator } from '@loraflow/emulator/node';
import { ModelsLabClient } from '@loraflow/providers';
import type { StopStep } from '@loraflow/runtime';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loraStoppers } from './stoppers';

let server: RunningEmulator;
beforeEach(async () => {
  server = await startEmulator({ clock: 'manual', port: 0 });
});
afterEach(async () => {
  await server.close();
});

const client = (apiKey: string) => new ModelsLabClient({ baseUrl: `${server.url}/modelslab/api`, apiKey });

/** A training started at the emulated ModelsLab with the account's key, and the orphaned step that journaled it. */
async function startedTraining(modelslab: ModelsLabClient): Promise<{ trainingId: string; step: StopStep }> {
  const { trainingId } = await client(EMULATOR_CREDENTIALS.modelslab.key).loraFineTune({
    instancePrompt: 'photo of lnt0 lantern',
    classPrompt: 'photo of a lantern',
    images: ['https://example.invalid/1.png', 'https://example.invalid/2.png'],
    trainingType: 'null',
    maxTrainSteps: 10,
  });
  const train: JournalRecord = {
    key: 'k-train/train',
    state: 'done',
    intent: {},
    result: { trainingId, webhook: false },
    at: 0,
    runId: 'run_x',
  };
  const services = new Map<string, unknown>([['modelslab', modelslab]]);
  const step: StopStep = {
    runId: 'run_x',
    nodeId: 'train',
    nodeType: 'lora.trainModelsLab',
    status: 'running',
    effects: { train },
    services: { get: <T>(name: string) => services.get(name) as T | undefined },
    signal: new AbortController().signal,
  };
  return { trainingId, step };
}

const going = async (trainingId: string) =>
  !(await client(EMULATOR_CREDENTIALS.modelslab.key).fineTuneStatus(trainingId)).done;

describe('the ModelsLab training stopper', () => {
  it('answers ended for a training ModelsLab already reports cancelled, and calls no cancel', async () => {
    const modelslab = client(EMULATOR_CREDENTIALS.modelslab.key);
    const { trainingId, step } = await startedTraining(modelslab);
    await modelslab.cancelTraining(trainingId);
    await expect(loraStoppers['lora.trainModelsLab']!(step)).resolves.toMatchObject({ outcome: 'ended' });
    expect(server.emulator.log.entries({ route: 'modelslab.training.cancel' })).toHaveLength(1);
  });

  it('does not call a training ended when its status read is refused for the key: the training may still be billed', async () => {
    const { trainingId, step } = await startedTraining(client('not-the-account-key'));
    const answer = loraStoppers['lora.trainModelsLab']!(step);
    await expect(answer).rejects.toMatchObject({ code: 'authentication' });
    expect(await going(trainingId)).toBe(true);
  });
});
