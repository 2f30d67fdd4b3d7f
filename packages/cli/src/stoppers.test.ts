import type { JournalRecord } from '@loraflow/core';
import { EMULATOR_CREDENTIALS, type RunningEmulator, startEmulator } from '@loraflow/emulator/node';
import { ModelsLabClient, ScenarioClient } from '@loraflow/providers';
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

const status = (trainingId: string) => client(EMULATOR_CREDENTIALS.modelslab.key).fineTuneStatus(trainingId);

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
    expect(await status(trainingId)).toMatchObject({ done: false });
  });

  it('answers cancelled when its cancel landed but the answer was lost, and the resent cancel is refused as finished', async () => {
    const modelslab = client(EMULATOR_CREDENTIALS.modelslab.key);
    const { trainingId, step } = await startedTraining(modelslab);
    server.emulator.faults.set([
      { route: 'POST /modelslab/api/v3/cancel_training/*', rate: 1, kind: 'reset', phase: 'after', times: 1 },
    ]);
    await expect(loraStoppers['lora.trainModelsLab']!(step)).resolves.toMatchObject({
      outcome: 'cancelled',
      message: `Asked ModelsLab to cancel training ${trainingId}.`,
    });
    // ModelsLab answers a cancelled training's status with an error
    await expect(status(trainingId)).rejects.toMatchObject({ message: expect.stringContaining('canceled') });
  });
});

// a valid 1×1 PNG, for the training image the emulated Scenario requires before a training starts
const TINY_PNG =
  'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

describe('the Scenario training stopper', () => {
  it('answers cancelled when its cancel landed but the answer was lost, and the resent cancel is refused as not training', async () => {
    const scenario = new ScenarioClient({
      baseUrl: `${server.url}/scenario/v1`,
      apiKey: EMULATOR_CREDENTIALS.scenario.key,
      apiSecret: EMULATOR_CREDENTIALS.scenario.secret,
    });
    const model = await scenario.createModel({ name: 'orphaned', type: 'flux.1-lora' });
    await scenario.addTrainingImage(model.id, { name: 'a.png', data: TINY_PNG });
    await scenario.trainModel(model.id);
    server.emulator.faults.set([
      { route: 'POST /scenario/v1/models/*/train/action', rate: 1, kind: 'reset', phase: 'after', times: 1 },
    ]);
    const train: JournalRecord = {
      key: 'k-train/train',
      state: 'done',
      intent: { modelId: model.id },
      result: {},
      at: 0,
      runId: 'run_x',
    };
    const answer = await loraStoppers['lora.train']!({
      runId: 'run_x',
      nodeId: 'train',
      nodeType: 'lora.train',
      status: 'running',
      effects: { train },
      services: { get: <T>(name: string) => (name === 'scenario' ? scenario : undefined) as T | undefined },
      signal: new AbortController().signal,
    });
    expect(answer).toMatchObject({ outcome: 'cancelled' });
    expect((await scenario.getModel(model.id)).status).toBe('training-canceled');
  });
});
