import { z } from 'zod';
import { nameVariant, pathParam, resource, tagRequest } from '../route-kit';
import { json } from '../vendor-errors';
import { body, type C, dryRunAnswer, isDryRun, parse, ReasonError, type ScenarioApi } from './http';
import { actionSchema, trainSchema } from './schemas';
import {
  conceptTypeFor,
  dropUnreachedEpochs,
  endJob,
  isTerminal,
  type JobRecord,
  jobStatus,
  jobView,
  type ModelRecord,
  modelStatus,
  modelView,
  planEpochs,
  type ScenarioState,
  seedFor,
  type TrainingRun,
  wantsFailure,
} from './state';

type TrainParameters = NonNullable<z.infer<typeof trainSchema>['parameters']>;

/** Cancels a model's training and its job at `now`. */
export function cancelTraining(state: ScenarioState, model: ModelRecord, t: number): void {
  if (!model.run) return;
  model.run.canceledAt = t;
  dropUnreachedEpochs(state, model.run, t);
  const job = state.jobs.get(model.run.jobId);
  if (job && !isTerminal(jobStatus(job, t))) endJob(job, 'canceled', t, 'Training canceled by the user');
}

/** Fails a model's training now (the control API's cue). */
export function failTraining(state: ScenarioState, model: ModelRecord, t: number, why: string): void {
  if (!model.run) return;
  model.run.failsAt = t;
  dropUnreachedEpochs(state, model.run, t);
  const job = state.jobs.get(model.run.jobId);
  if (job) endJob(job, 'failure', t, why);
}

/** Refuses a training the vendor would refuse: already started, nothing to train on, bad samples. */
function checkTrainable(api: ScenarioApi, model: ModelRecord, params: TrainParameters | undefined): void {
  const id = model.id;
  const status = modelStatus(model, api.now());
  if (status === 'training') throw new ReasonError(400, `Model ${id} is already training`);
  if (status === 'trained') throw new ReasonError(400, `Model ${id} is already trained`);
  const composition = conceptTypeFor(model.type) !== undefined;
  if (!composition && model.trainingImages.length === 0) {
    throw new ReasonError(400, `Model ${id} has no training images`);
  }
  if (model.type.endsWith('-edit-lora') && model.pairs.length < 2) {
    throw new ReasonError(
      400,
      `Edit models need at least 2 training image pairs; ${id} has ${model.pairs.length}`,
    );
  }
  if (
    params?.sampleSourceImages &&
    params.sampleSourceImages.length !== (params.samplePrompts?.length ?? 0)
  ) {
    throw new ReasonError(
      400,
      'Input parameters.sampleSourceImages must be the same length as samplePrompts',
    );
  }
}

/** Every stage boundary of a run, fixed when it starts (status is read from the clock later). */
function planRun(api: ScenarioApi, model: ModelRecord, jobId: string, duration: number): TrainingRun {
  const t = api.now();
  const composition = conceptTypeFor(model.type) !== undefined;
  return {
    jobId,
    startedAt: t,
    queuedAt: t + Math.round(duration * 0.02),
    startingAt: t + Math.round(duration * 0.12),
    runningAt: t + Math.round(duration * 0.17),
    endsAt: t + duration,
    // Between one and three jobs ahead, as seeded; compositions skip the queue.
    position: composition ? 0 : 1 + (seedFor(api.core, jobId) % 3),
    ...(wantsFailure(model) ? { failsAt: t + Math.round(duration * 0.55) } : {}),
  };
}

function trainingJob(c: C, api: ScenarioApi, model: ModelRecord, run: TrainingRun, params?: TrainParameters) {
  const t = run.startedAt;
  const job: JobRecord = {
    id: run.jobId,
    jobType: model.type.startsWith('sd-') ? 'model-training' : 'flux-model-training',
    ...api.owner(c),
    createdAt: t,
    plan: [
      { status: 'queued', at: t },
      { status: 'warming-up', at: run.startingAt },
      { status: 'in-progress', at: run.runningAt },
      { status: 'finalizing', at: t + Math.round((run.endsAt - t) * 0.98) },
      { status: 'success', at: run.endsAt },
    ],
    modelId: model.id,
    assetIds: [],
    input: { modelId: model.id, parameters: params ?? {} },
  };
  if (run.failsAt !== undefined) {
    endJob(
      job,
      'failure',
      run.failsAt,
      `Training failed: the loss diverged (the model is marked "fail-training")`,
    );
  }
  return job;
}

async function train(c: C, api: ScenarioApi) {
  const id = pathParam(c, 'modelId');
  tagRequest(c, { modelId: id });
  const model = api.ownModel(c, id);
  const input = parse(trainSchema, (await body(c)) ?? {});
  const composition = conceptTypeFor(model.type) !== undefined;
  const simulated = c.req.query('trainingImagesCount');
  const imageCount =
    simulated !== undefined
      ? parse(z.object({ trainingImagesCount: z.coerce.number().int().min(0).max(50) }), {
          trainingImagesCount: simulated,
        }).trainingImagesCount
      : model.trainingImages.length;
  const cost = composition ? 0 : Math.max(150, imageCount * 10);
  if (isDryRun(c)) {
    nameVariant(c, 'dryRun');
    return dryRunAnswer(cost, { training: cost });
  }
  const params = input.parameters;
  checkTrainable(api, model, params);
  const jobId = api.core.id('job');
  const run = planRun(
    api,
    model,
    jobId,
    composition ? api.core.timings.compositionMs : api.core.timings.trainingMs,
  );
  model.run = run;
  if (params) model.parameters = params;
  // Sample images per epoch exist only for Flux LoRAs trained with sample prompts, as documented.
  if (
    !composition &&
    model.type.startsWith('flux') &&
    params?.samplePrompts &&
    params.samplePrompts.length > 0
  ) {
    planEpochs(api.core, api.state, model, run, {
      count: Math.min(params.nbEpochs ?? 10, 100),
      prompts: params.samplePrompts,
      owner: api.owner(c),
    });
  }
  const job = trainingJob(c, api, model, run, params);
  api.state.jobs.set(jobId, job);
  tagRequest(c, { jobId });
  const t = api.now();
  return json({
    model: modelView(api.core, api.state, model, t, true),
    job: jobView(api.state, job, t),
    creativeUnitsCost: cost,
    creativeUnitsDiscount: 0,
  });
}

/** Training: start (or price) a model's training, and cancel it. */
export const training = resource<ScenarioApi>('scenario.models')
  .put('train', '/models/:modelId/train', train)
  .post('train.action', '/models/:modelId/train/action', async (c, api) => {
    const id = pathParam(c, 'modelId');
    tagRequest(c, { modelId: id });
    const model = api.ownModel(c, id);
    parse(actionSchema, await body(c));
    const t = api.now();
    if (modelStatus(model, t) !== 'training' || !model.run) {
      throw new ReasonError(400, `Model ${id} is not training`);
    }
    cancelTraining(api.state, model, t);
    return json({ model: modelView(api.core, api.state, model, t, true) });
  });
