import { type Context, Hono } from 'hono';
import { z } from 'zod';
import { type BaseModelSpec, findBaseModel, LORA_FAMILIES } from '../catalogue';
import type { Core, Env } from '../context';
import { describeIssue, json, readJson } from '../vendor-errors';
import {
  assetView,
  conceptTypeFor,
  DEFAULT_PROJECT_ID,
  dropUnreachedEpochs,
  endJob,
  generatedAssets,
  isTerminal,
  isTrainable,
  type JobRecord,
  jobStatus,
  jobView,
  type ModelRecord,
  modelStatus,
  modelView,
  planEpochs,
  putAsset,
  type ScenarioState,
  seedFor,
  trainingImageView,
  wantsFailure,
} from './state';

/** Scenario credentials: HTTP Basic with the API key as user name and the secret as password. */
export interface ScenarioCredential {
  key: string;
  secret: string;
}

type C = Context<Env>;

/** A `{ reason }` error, Scenario's captured error body. */
const reason = (status: number, text: string) => json({ reason: text }, status);

class ReasonError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new ReasonError(400, describeIssue(result.error.issues[0] as z.core.$ZodIssue));
  return result.data;
}

async function body(c: C): Promise<unknown> {
  try {
    return await readJson(c.req.raw);
  } catch {
    throw new ReasonError(400, 'Invalid JSON body');
  }
}

// Query flags arrive as strings; Scenario accepts `dryRun=true` and the SDK's `dryRun=api`.
const isDryRun = (c: C) => {
  const v = c.req.query('dryRun');
  return v !== undefined && v !== 'false' && v !== '0';
};

const encodeToken = (offset: number, limit: number) => btoa(JSON.stringify({ offset, limit }));

function page<T>(c: C, items: T[], defaultSize: number, maxSize: number): { items: T[]; next?: string } {
  const size = parse(z.object({ pageSize: z.coerce.number().int().min(1).max(maxSize).optional() }), {
    pageSize: c.req.query('pageSize'),
  }).pageSize;
  let offset = 0;
  let limit = size ?? defaultSize;
  const token = c.req.query('paginationToken');
  if (token) {
    try {
      const decoded = z
        .object({ offset: z.number().int().min(0), limit: z.number().int().min(1) })
        .parse(JSON.parse(atob(token)));
      offset = decoded.offset;
      limit = size ?? decoded.limit;
    } catch {
      throw new ReasonError(400, 'Invalid paginationToken');
    }
  }
  const slice = items.slice(offset, offset + limit);
  const nextOffset = offset + slice.length;
  return nextOffset < items.length
    ? { items: slice, next: encodeToken(nextOffset, limit) }
    : { items: slice };
}

const conceptSchema = z.object({
  modelId: z.string().min(1),
  scale: z.number().min(-2).max(2),
  modelEpoch: z.string().optional(),
});

const createModelSchema = z
  .object({
    name: z.string().max(64).optional(),
    shortDescription: z.string().max(256).optional(),
    type: z.string().min(1).optional(),
    concepts: z.array(conceptSchema).max(6).optional(),
    baseModelId: z.string().optional(),
    classSlug: z.string().optional(),
    collectionIds: z.array(z.string()).optional(),
    tags: z.array(z.string().max(64)).max(50).optional(),
  })
  .loose();

const DATA_URL = /^data:(image\/(?:png|jpeg|jpg|webp));base64,([A-Za-z0-9+/=\s]+)$/;

const preset = z.enum(['default', 'style', 'subject']).optional();
const batchImagesSchema = z.object({ assetIds: z.array(z.string().min(1)).min(1).max(10), preset }).strict();
// With `assetId`, `name` and `data` are ignored, as the vendor documents.
const assetImageSchema = z.object({ assetId: z.string().min(1), preset }).loose();
const dataImageSchema = z
  .object({
    name: z.string().min(1).max(256),
    data: z.string().regex(DATA_URL, 'must be a base64 data URL of a PNG, JPEG or WebP image'),
    preset,
  })
  .strict();

type TrainingImageInput =
  | { form: 'batch'; assetIds: string[] }
  | { form: 'asset'; assetId: string }
  | { form: 'data'; name: string; data: string };

function parseTrainingImage(value: unknown): TrainingImageInput {
  const record = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  if ('assetIds' in record) return { form: 'batch', assetIds: parse(batchImagesSchema, value).assetIds };
  if ('assetId' in record) return { form: 'asset', assetId: parse(assetImageSchema, value).assetId };
  const input = parse(dataImageSchema, value);
  return { form: 'data', name: input.name, data: input.data };
}

const pairsSchema = z
  .array(
    z.object({
      sourceId: z.string().min(1),
      targetId: z.string().min(1),
      instruction: z.string().optional(),
    }),
  )
  .max(500);

// Loose training parameters: the newer trainers' ranges are the wider ones (PROVIDERS.md §1.5).
const trainSchema = z
  .object({
    parameters: z
      .object({
        learningRate: z.number().gt(0).max(0.01).optional(),
        learningRateTextEncoder: z.number().min(0).max(0.001).optional(),
        rank: z.number().int().min(2).max(128).optional(),
        nbEpochs: z.number().int().min(1).max(100).optional(),
        nbRepeats: z.number().int().min(1).max(100).optional(),
        batchSize: z.number().int().min(1).max(8).optional(),
        maxTrainSteps: z.number().int().min(0).max(40000).optional(),
        samplePrompts: z.array(z.string()).max(4).optional(),
        sampleSourceImages: z.array(z.string()).max(4).optional(),
        optimizeFor: z.enum(['likeness', 'all', 'none']).optional(),
        conceptPrompt: z.string().optional(),
        seed: z.number().int().optional(),
        wandbKey: z.string().max(40).optional(),
      })
      .loose()
      .optional(),
  })
  .loose();

const actionSchema = z.object({ action: z.literal('cancel') });

const txt2imgSchema = z
  .object({
    modelId: z.string().min(1),
    prompt: z.string().min(1).max(2048),
    negativePrompt: z.string().optional(),
    negativePromptStrength: z.number().min(0).max(10).optional(),
    numSamples: z.number().int().min(1).max(128).optional(),
    width: z.number().int().min(64).max(2048).multipleOf(8).optional(),
    height: z.number().int().min(64).max(2048).multipleOf(8).optional(),
    guidance: z.number().min(0).max(20).optional(),
    numInferenceSteps: z.number().int().min(1).max(150).optional(),
    seed: z.union([z.string().regex(/^\d+$/), z.number().int().min(0)]).optional(),
    scheduler: z.string().optional(),
    concepts: z.array(conceptSchema).max(6).optional(),
    baseModelId: z.string().optional(),
    modelEpoch: z.string().optional(),
    hideResults: z.boolean().optional(),
    intermediateImages: z.boolean().optional(),
    type: z.literal('txt2img').optional(),
  })
  .loose();

function customSchema(base: BaseModelSpec) {
  const [minSize, maxSize] = base.limits.size;
  return z
    .object({
      prompt: z.string().min(1).max(2048),
      modelId: z.string().min(1).optional(),
      loras: z.array(z.string().min(1)).max(6).optional(),
      lorasScale: z.array(z.number().min(0).max(2)).max(6).optional(),
      referenceImages: z.array(z.string()).max(5).optional(),
      numOutputs: z.number().int().min(base.limits.outputs[0]).max(base.limits.outputs[1]).optional(),
      numInferenceSteps: z.number().int().min(base.limits.steps[0]).max(base.limits.steps[1]).optional(),
      width: z.number().int().min(minSize).max(maxSize).multipleOf(base.limits.sizeMultiple).optional(),
      height: z.number().int().min(minSize).max(maxSize).multipleOf(base.limits.sizeMultiple).optional(),
      guidance: z.number().min(base.limits.guidance[0]).max(base.limits.guidance[1]).optional(),
      seed: z.number().int().min(0).max(2147483647).optional(),
    })
    .loose();
}

/** Options of the Scenario routes. */
export interface ScenarioRoutesOptions {
  credentials: () => ScenarioCredential[];
}

/**
 * The Scenario API subset as a hono app, mounted under `/scenario/v1`.
 *
 * @example
 * const app = createScenarioRoutes(core, state, { credentials: () => [EMULATOR_CREDENTIALS.scenario] });
 */
export function createScenarioRoutes(
  core: Core,
  state: ScenarioState,
  options: ScenarioRoutesOptions,
): Hono<Env> {
  const app = new Hono<Env>();
  const now = () => core.clock.now();

  const named = (c: C, route: string, ids: { modelId?: string; jobId?: string } = {}) => {
    c.env.info.route = route;
    if (ids.modelId !== undefined) c.env.info.modelId = ids.modelId;
    if (ids.jobId !== undefined) c.env.info.jobId = ids.jobId;
  };

  app.onError((error) => {
    if (error instanceof ReasonError) return reason(error.status, error.message);
    return reason(500, 'Internal server error');
  });

  // Basic auth: a missing or wrong pair is the API Gateway authorizer's 401.
  app.use('*', async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const match = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header);
    let user: string | undefined;
    if (match) {
      try {
        const decoded = atob(match[1] as string);
        const colon = decoded.indexOf(':');
        const key = decoded.slice(0, colon);
        const secret = decoded.slice(colon + 1);
        if (colon > 0 && options.credentials().some((k) => k.key === key && k.secret === secret)) user = key;
      } catch {
        user = undefined;
      }
    }
    if (user === undefined) {
      c.env.info.route = 'scenario.unauthorized';
      return json({ message: 'Unauthorized' }, 401);
    }
    await next();
    return undefined;
  });

  const owner = (c: C) => {
    const projectId = c.req.query('projectId');
    if (projectId !== undefined && !/^proj_[A-Za-z0-9_-]+$/.test(projectId)) {
      throw new ReasonError(400, `Invalid projectId ${projectId}`);
    }
    return { ownerId: projectId ?? DEFAULT_PROJECT_ID, authorId: 'apiu_emulator' };
  };

  // A private model of another project is invisible, as the vendor scopes by project.
  const visibleModel = (c: C, id: string): ModelRecord => {
    const model = state.models.get(id);
    if (!model || (model.privacy === 'private' && model.ownerId !== owner(c).ownerId)) {
      throw new ReasonError(404, `Model ${id} not found`);
    }
    return model;
  };

  const ownModel = (c: C, id: string): ModelRecord => {
    const model = visibleModel(c, id);
    if (model.privacy !== 'private') throw new ReasonError(403, `Model ${id} belongs to another project`);
    return model;
  };

  const listModels = (c: C, scope: 'private' | 'public', defaultSize: number, maxSize: number) => {
    const { ownerId } = owner(c);
    const t = now();
    const type = c.req.query('type');
    const types = c.req.query('types')?.split(',').filter(Boolean);
    const tags = c.req.query('tags')?.split(',').filter(Boolean);
    const status = c.req.query('status');
    const all = [...state.models.values()]
      .reverse()
      .filter((m) =>
        scope === 'public' ? m.privacy === 'public' : m.privacy === 'private' && m.ownerId === ownerId,
      );
    // Newest first; the stable sort keeps reverse creation order among equal timestamps.
    all.sort((a, b) => b.createdAt - a.createdAt);
    const filtered = all.filter(
      (m) =>
        (type === undefined || m.type === type) &&
        (types === undefined || types.includes(m.type)) &&
        (tags === undefined || tags.every((tag) => m.tags.includes(tag))) &&
        (status === undefined || modelStatus(m, t) === status),
    );
    const result = page(c, filtered, defaultSize, maxSize);
    const out: Record<string, unknown> = {
      models: result.items.map((m) => modelView(core, state, m, t, false)),
    };
    if (result.next) out.nextPaginationToken = result.next;
    return json(out);
  };

  app.get('/models', (c) => {
    named(c, 'scenario.models.list');
    const privacy = c.req.query('privacy') ?? 'private';
    if (privacy !== 'private' && privacy !== 'public') {
      throw new ReasonError(400, 'Input privacy must be one of "private", "public"');
    }
    return privacy === 'public' ? listModels(c, 'public', 100, 500) : listModels(c, 'private', 100, 500);
  });

  app.get('/models/public', (c) => {
    named(c, 'scenario.models.public');
    return listModels(c, 'public', 50, 500);
  });

  app.post('/models', async (c) => {
    named(c, 'scenario.models.create');
    const input = parse(createModelSchema, (await body(c)) ?? {});
    const type = input.type ?? 'flux.1-lora';
    if (!isTrainable(type)) {
      throw new ReasonError(400, `Input type ${type} cannot be created; create a LoRA or a composition`);
    }
    const conceptType = conceptTypeFor(type);
    if (conceptType) {
      if (!input.concepts || input.concepts.length === 0) {
        throw new ReasonError(400, `Input concepts is required for a ${type} model`);
      }
      const invalid: string[] = [];
      for (const concept of input.concepts) {
        const lora = visibleModel(c, concept.modelId);
        if (lora.type !== conceptType) invalid.push(lora.id);
      }
      if (invalid.length > 0) {
        throw new ReasonError(
          400,
          `Invalid model(s): ${invalid.join(', ')}.\nAllowed model types: ${conceptType}`,
        );
      }
    } else if (input.concepts && input.concepts.length > 0) {
      throw new ReasonError(400, `Input concepts is only allowed for composition models, not ${type}`);
    }
    const t = now();
    const id = core.id('model');
    const model: ModelRecord = {
      id,
      type,
      privacy: 'private',
      source: 'scenario',
      custom: false,
      ...owner(c),
      createdAt: t,
      updatedAt: t,
      tags: input.tags ?? [],
      collectionIds: input.collectionIds ?? [],
      trainingImages: [],
      pairs: [],
    };
    if (input.name !== undefined) model.name = input.name;
    if (input.shortDescription !== undefined) model.shortDescription = input.shortDescription;
    if (input.classSlug !== undefined) model.classSlug = input.classSlug;
    if (input.concepts) {
      model.concepts = input.concepts.map((k) => ({
        modelId: k.modelId,
        scale: k.scale,
        ...(k.modelEpoch !== undefined ? { modelEpoch: k.modelEpoch } : {}),
      }));
    }
    const family = LORA_FAMILIES[type];
    if (family) model.compliantModelIds = family.baseModelIds;
    state.models.set(id, model);
    named(c, 'scenario.models.create', { modelId: id });
    return json({ model: modelView(core, state, model, t, true) });
  });

  app.get('/models/:modelId', (c) => {
    const id = c.req.param('modelId');
    named(c, 'scenario.models.get', { modelId: id });
    return json({ model: modelView(core, state, visibleModel(c, id), now(), true) });
  });

  app.post('/models/:modelId/training-images', async (c) => {
    const id = c.req.param('modelId');
    named(c, 'scenario.models.trainingImages.add', { modelId: id });
    const model = ownModel(c, id);
    const input = parseTrainingImage(await body(c));
    const t = now();
    if (modelStatus(model, t) !== 'new') {
      throw new ReasonError(400, `Training images of ${id} can only change while its status is new`);
    }
    if (conceptTypeFor(model.type)) {
      throw new ReasonError(400, `A composition (${model.type}) has no training images`);
    }
    const incoming = input.form === 'batch' ? input.assetIds.length : 1;
    if (model.trainingImages.length + incoming > 50) {
      throw new ReasonError(
        400,
        `A model can have at most 50 training images; ${id} has ${model.trainingImages.length} and ${incoming} more were sent`,
      );
    }
    const ids: Array<{ assetId: string; name: string }> = [];
    const who = owner(c);
    if (input.form === 'data') {
      const match = DATA_URL.exec(input.data);
      const mime = (match?.[1] ?? 'image/png').replace('jpg', 'jpeg');
      let bytes: Uint8Array;
      try {
        bytes = Uint8Array.from(atob((match?.[2] ?? '').replace(/\s/g, '')), (ch) => ch.charCodeAt(0));
      } catch {
        throw new ReasonError(400, 'Input data must be a base64 data URL of a PNG, JPEG or WebP image');
      }
      if (bytes.length === 0 || bytes.length > 20 * 1024 * 1024) {
        throw new ReasonError(400, 'Input data must hold an image between 1 byte and 20 MB');
      }
      const assetId = core.id('asset');
      const size = pngSize(bytes);
      putAsset(core, state, {
        id: assetId,
        ...who,
        createdAt: t,
        availableAt: t,
        source: 'uploaded',
        metadataType: 'uploaded',
        name: input.name,
        mimeType: mime,
        bytes: () => bytes,
        ...(size ?? {}),
      });
      ids.push({ assetId, name: input.name });
    } else {
      const assetIds = input.form === 'batch' ? input.assetIds : [input.assetId];
      for (const assetId of assetIds) {
        const asset = state.assets.get(assetId);
        if (!asset || asset.ownerId !== who.ownerId || asset.availableAt > t) {
          throw new ReasonError(404, `Asset ${assetId} not found`);
        }
        ids.push({ assetId, name: asset.name ?? `${assetId}.png` });
      }
    }
    for (const entry of ids) model.trainingImages.push({ ...entry, createdAt: t });
    model.updatedAt = t;
    const views = ids.map((entry) => trainingImageView(core, state, { ...entry, createdAt: t }, t));
    // The batch form's response is not documented: the first image, plus all of them for convenience.
    return json(
      views.length === 1 ? { trainingImage: views[0] } : { trainingImage: views[0], trainingImages: views },
    );
  });

  app.delete('/models/:modelId/training-images/:imageId', (c) => {
    const id = c.req.param('modelId');
    named(c, 'scenario.models.trainingImages.delete', { modelId: id });
    const model = ownModel(c, id);
    if (modelStatus(model, now()) !== 'new') {
      throw new ReasonError(400, `Training images of ${id} can only change while its status is new`);
    }
    const imageId = c.req.param('imageId');
    const before = model.trainingImages.length;
    model.trainingImages = model.trainingImages.filter((i) => i.assetId !== imageId);
    if (model.trainingImages.length === before)
      throw new ReasonError(404, `Training image ${imageId} not found`);
    model.pairs = model.pairs.filter((p) => p.sourceId !== imageId && p.targetId !== imageId);
    return json({});
  });

  app.put('/models/:modelId/training-images/pairs', async (c) => {
    const id = c.req.param('modelId');
    named(c, 'scenario.models.trainingImages.pairs', { modelId: id });
    const model = ownModel(c, id);
    const pairs = parse(pairsSchema, await body(c));
    if (modelStatus(model, now()) !== 'new') {
      throw new ReasonError(400, `Training image pairs of ${id} can only change while its status is new`);
    }
    const known = new Set(model.trainingImages.map((i) => i.assetId));
    pairs.forEach((pair, index) => {
      for (const side of ['sourceId', 'targetId'] as const) {
        if (!known.has(pair[side])) {
          throw new ReasonError(
            400,
            `Input [${index}].${side}: ${pair[side]} is not a training image of ${id}`,
          );
        }
      }
    });
    model.pairs = pairs.map((p) => ({
      sourceId: p.sourceId,
      targetId: p.targetId,
      ...(p.instruction !== undefined ? { instruction: p.instruction } : {}),
    }));
    model.updatedAt = now();
    return json({ count: model.pairs.length, pairs: model.pairs });
  });

  app.put('/models/:modelId/train', async (c) => {
    const id = c.req.param('modelId');
    named(c, 'scenario.models.train', { modelId: id });
    const model = ownModel(c, id);
    const input = parse(trainSchema, (await body(c)) ?? {});
    const t = now();
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
      named(c, 'scenario.models.train.dryRun', { modelId: id });
      return json(
        { creativeUnitsCost: cost, creativeUnitsDiscount: 0, costDetails: { training: cost } },
        269,
      );
    }
    const status = modelStatus(model, t);
    if (status === 'training') throw new ReasonError(400, `Model ${id} is already training`);
    if (status === 'trained') throw new ReasonError(400, `Model ${id} is already trained`);
    if (!composition && model.trainingImages.length === 0) {
      throw new ReasonError(400, `Model ${id} has no training images`);
    }
    if (model.type.endsWith('-edit-lora') && model.pairs.length < 2) {
      throw new ReasonError(
        400,
        `Edit models need at least 2 training image pairs; ${id} has ${model.pairs.length}`,
      );
    }
    const params = input.parameters;
    if (
      params?.sampleSourceImages &&
      params.sampleSourceImages.length !== (params.samplePrompts?.length ?? 0)
    ) {
      throw new ReasonError(
        400,
        'Input parameters.sampleSourceImages must be the same length as samplePrompts',
      );
    }
    const duration = composition ? core.timings.compositionMs : core.timings.trainingMs;
    const jobId = core.id('job');
    const run = {
      jobId,
      startedAt: t,
      queuedAt: t + Math.round(duration * 0.02),
      startingAt: t + Math.round(duration * 0.12),
      runningAt: t + Math.round(duration * 0.17),
      endsAt: t + duration,
      // Between one and three jobs ahead, as seeded; compositions skip the queue.
      position: composition ? 0 : 1 + (seedFor(core, jobId) % 3),
      ...(wantsFailure(model) ? { failsAt: t + Math.round(duration * 0.55) } : {}),
    };
    model.run = run;
    if (params) model.parameters = params;
    // Sample images per epoch exist only for Flux LoRAs trained with sample prompts, as documented.
    if (
      !composition &&
      model.type.startsWith('flux') &&
      params?.samplePrompts &&
      params.samplePrompts.length > 0
    ) {
      planEpochs(core, state, model, run, {
        count: Math.min(params.nbEpochs ?? 10, 100),
        prompts: params.samplePrompts,
        owner: owner(c),
      });
    }
    const job: JobRecord = {
      id: jobId,
      jobType: model.type.startsWith('sd-') ? 'model-training' : 'flux-model-training',
      ...owner(c),
      createdAt: t,
      plan: [
        { status: 'queued', at: t },
        { status: 'warming-up', at: run.startingAt },
        { status: 'in-progress', at: run.runningAt },
        { status: 'finalizing', at: t + Math.round(duration * 0.98) },
        { status: 'success', at: run.endsAt },
      ],
      modelId: id,
      assetIds: [],
      input: { modelId: id, parameters: params ?? {} },
    };
    if (run.failsAt !== undefined) {
      endJob(
        job,
        'failure',
        run.failsAt,
        `Training failed: the loss diverged (the model is marked "fail-training")`,
      );
    }
    state.jobs.set(jobId, job);
    named(c, 'scenario.models.train', { modelId: id, jobId });
    return json({
      model: modelView(core, state, model, t, true),
      job: jobView(state, job, t),
      creativeUnitsCost: cost,
      creativeUnitsDiscount: 0,
    });
  });

  app.post('/models/:modelId/train/action', async (c) => {
    const id = c.req.param('modelId');
    named(c, 'scenario.models.train.action', { modelId: id });
    const model = ownModel(c, id);
    parse(actionSchema, await body(c));
    const t = now();
    if (modelStatus(model, t) !== 'training' || !model.run) {
      throw new ReasonError(400, `Model ${id} is not training`);
    }
    cancelTraining(state, model, t);
    return json({ model: modelView(core, state, model, t, true) });
  });

  const visibleJob = (c: C, jobId: string): JobRecord => {
    const job = state.jobs.get(jobId);
    if (!job || job.ownerId !== owner(c).ownerId) throw new ReasonError(404, `Job ${jobId} not found`);
    return job;
  };

  app.get('/jobs', (c) => {
    named(c, 'scenario.jobs.list');
    const t = now();
    const { ownerId } = owner(c);
    const status = c.req.query('status');
    const type = c.req.query('type');
    const types = c.req.query('types')?.split(',').filter(Boolean);
    const jobs = [...state.jobs.values()]
      .reverse()
      .filter(
        (j) =>
          j.ownerId === ownerId &&
          (status === undefined || jobStatus(j, t) === status) &&
          (type === undefined || j.jobType === type) &&
          (types === undefined || types.includes(j.jobType)),
      )
      .sort((a, b) => b.createdAt - a.createdAt);
    const result = page(c, jobs, 10, 200);
    const out: Record<string, unknown> = { jobs: result.items.map((j) => jobView(state, j, t)) };
    if (result.next) out.nextPaginationToken = result.next;
    return json(out);
  });

  app.get('/jobs/:jobId', (c) => {
    const jobId = c.req.param('jobId');
    const job = visibleJob(c, jobId);
    named(c, 'scenario.jobs.get', job.modelId ? { jobId, modelId: job.modelId } : { jobId });
    return json({ job: jobView(state, job, now()) });
  });

  app.post('/jobs/:jobId/action', async (c) => {
    const jobId = c.req.param('jobId');
    named(c, 'scenario.jobs.action', { jobId });
    const job = visibleJob(c, jobId);
    parse(actionSchema, await body(c));
    const t = now();
    if (!isTerminal(jobStatus(job, t))) {
      const model = job.modelId ? state.models.get(job.modelId) : undefined;
      if (model?.run?.jobId === job.id) cancelTraining(state, model, t);
      else endJob(job, 'canceled', t, 'Canceled by the user');
    }
    return json({ job: jobView(state, job, t) });
  });

  app.get('/assets/:assetId', (c) => {
    const assetId = c.req.param('assetId');
    named(c, 'scenario.assets.get');
    const asset = state.assets.get(assetId);
    const t = now();
    if (!asset || asset.ownerId !== owner(c).ownerId || asset.availableAt > t) {
      throw new ReasonError(404, `Asset ${assetId} not found`);
    }
    return json({ asset: assetView(core, asset, t) });
  });

  /** Checks that `ids` exist, are trained and have one of `allowed` types; returns their records. */
  const resolveLoras = (c: C, ids: string[], allowed: string[]): ModelRecord[] => {
    const models = ids.map((id) => visibleModel(c, id));
    const invalid = models.filter((m) => !allowed.includes(m.type)).map((m) => m.id);
    if (invalid.length > 0) {
      throw new ReasonError(
        400,
        `Invalid model(s): ${invalid.join(', ')}.\nAllowed model types: ${allowed.join(', ')}`,
      );
    }
    const t = now();
    for (const m of models) {
      const status = modelStatus(m, t);
      if (status !== 'trained')
        throw new ReasonError(400, `Model ${m.id} is not trained (status: ${status})`);
    }
    return models;
  };

  /** A composition contributes its concepts; a LoRA contributes itself at `scale`. */
  const expand = (model: ModelRecord, scale: number): Array<{ id: string; strength: number }> =>
    model.concepts
      ? model.concepts.map((k) => ({ id: k.modelId, strength: k.scale * scale }))
      : [{ id: model.id, strength: scale }];

  const startGeneration = (
    c: C,
    o: {
      jobType: string;
      modelId: string;
      prompt: string;
      seed: number;
      count: number;
      width: number;
      height: number;
      loras: Array<{ id: string; strength: number }>;
      input: Record<string, unknown>;
      source: string;
      metadataType: string;
      inferenceId?: string;
    },
  ): JobRecord => {
    const t = now();
    const g = core.timings.generationMs;
    const jobId = core.id('job');
    const job: JobRecord = {
      id: jobId,
      jobType: o.jobType,
      ...owner(c),
      createdAt: t,
      plan: [
        { status: 'queued', at: t },
        { status: 'warming-up', at: t + Math.round(g * 0.1) },
        { status: 'in-progress', at: t + Math.round(g * 0.25) },
        { status: 'finalizing', at: t + Math.round(g * 0.9) },
        { status: 'success', at: t + g },
      ],
      assetIds: [],
      input: o.input,
    };
    job.assetIds = generatedAssets(core, state, {
      owner: owner(c),
      count: o.count,
      prompt: o.prompt,
      seed: o.seed,
      width: o.width,
      height: o.height,
      loras: o.loras,
      modelId: o.modelId,
      jobId,
      availableAt: t + g,
      source: o.source,
      metadataType: o.metadataType,
      ...(o.inferenceId !== undefined ? { inferenceId: o.inferenceId } : {}),
    });
    state.jobs.set(jobId, job);
    named(c, c.env.info.route, { modelId: o.modelId, jobId });
    return job;
  };

  app.post('/generate/txt2img', async (c) => {
    named(c, 'scenario.generate.txt2img');
    const input = parse(txt2imgSchema, (await body(c)) ?? {});
    const model = visibleModel(c, input.modelId);
    named(c, 'scenario.generate.txt2img', { modelId: model.id });
    const legacyTypes = [
      'flux.1',
      'flux.1-lora',
      'flux.1-composition',
      'sd-xl',
      'sd-xl-lora',
      'sd-xl-composition',
      'sd-1_5',
      'sd-1_5-lora',
      'sd-1_5-composition',
    ];
    if (!legacyTypes.includes(model.type)) {
      throw new ReasonError(
        400,
        `Invalid model(s): ${model.id}.\nAllowed model types: ${legacyTypes.join(', ')}`,
      );
    }
    let base: BaseModelSpec | undefined;
    if (model.base) base = model.base;
    else {
      const family = LORA_FAMILIES[model.type] ?? LORA_FAMILIES[conceptTypeFor(model.type) ?? ''];
      const compliant = (model.compliantModelIds ?? family?.baseModelIds ?? []).filter(
        (id) => findBaseModel(id)?.route === 'txt2img',
      );
      const baseId = input.baseModelId ?? compliant[0];
      if (baseId === undefined || !compliant.includes(baseId)) {
        throw new ReasonError(
          400,
          `Input baseModelId ${String(baseId)} is not compliant with ${model.id}; allowed: ${compliant.join(', ')}`,
        );
      }
      base = findBaseModel(baseId);
    }
    if (!base) throw new ReasonError(400, `Model ${model.id} has no base model`);
    resolveLoras(c, model.base ? [] : [model.id], base.loraTypes);
    const conceptType = base.loraTypes.find((t) => t.endsWith('-lora')) ?? '';
    const concepts = input.concepts ?? [];
    resolveLoras(
      c,
      concepts.map((k) => k.modelId),
      [conceptType],
    );
    const width = input.width ?? base.defaults.width;
    const height = input.height ?? base.defaults.height;
    for (const [name, v] of [
      ['width', width],
      ['height', height],
    ] as const) {
      if (v < base.limits.size[0])
        throw new ReasonError(400, `Input ${name} must be at least ${base.limits.size[0]}`);
      if (v > base.limits.size[1])
        throw new ReasonError(400, `Input ${name} must be at most ${base.limits.size[1]}`);
    }
    const count = input.numSamples ?? 4;
    const cost = Math.round((base.price.generation * count + base.price.qualityGate) * 100) / 100;
    if (isDryRun(c)) {
      named(c, 'scenario.generate.txt2img.dryRun', { modelId: model.id });
      return json(
        {
          creativeUnitsCost: cost,
          creativeUnitsDiscount: 0,
          costDetails: { generation: base.price.generation * count, 'quality-gate': base.price.qualityGate },
        },
        269,
      );
    }
    const inferenceId = core.id('inf');
    const loras = [
      ...(model.base ? [] : expand(model, 1)),
      ...concepts.map((k) => ({ id: k.modelId, strength: k.scale })),
    ];
    const provisional = core.id('seed');
    const seed = input.seed !== undefined ? Number(input.seed) : seedFor(core, provisional);
    const job = startGeneration(c, {
      jobType: 'inference',
      modelId: model.id,
      prompt: input.prompt,
      seed,
      count,
      width,
      height,
      loras,
      input: { ...input, seed: String(seed) },
      source: 'inference-txt',
      metadataType: 'inference-txt2img',
      inferenceId,
    });
    return json({
      inference: {
        id: inferenceId,
        type: 'txt2img',
        prompt: input.prompt,
        modelId: model.id,
        numSamples: count,
        width,
        height,
        guidance: input.guidance ?? base.defaults.guidance,
        numInferenceSteps: input.numInferenceSteps ?? base.defaults.steps,
        seed: String(seed),
        ...(input.negativePrompt !== undefined ? { negativePrompt: input.negativePrompt } : {}),
        ...(concepts.length > 0 ? { concepts } : {}),
      },
      job: jobView(state, job, now()),
      creativeUnitsCost: cost,
      creativeUnitsDiscount: 0,
    });
  });

  app.post('/generate/custom/:modelId', async (c) => {
    const baseId = c.req.param('modelId');
    named(c, 'scenario.generate.custom', { modelId: baseId });
    const baseModel = visibleModel(c, baseId);
    if (!baseModel.custom || !baseModel.base) {
      throw new ReasonError(400, 'Custom models only are supported for this endpoint');
    }
    const base = baseModel.base;
    const input = parse(customSchema(base), (await body(c)) ?? {});
    for (const [i, s] of (input.lorasScale ?? []).entries()) {
      // Scales move in steps of 0.05 (PROVIDERS.md §1.6); the tolerance absorbs binary fractions.
      if (Math.abs(s * 20 - Math.round(s * 20)) > 1e-6) {
        throw new ReasonError(400, `Input lorasScale[${i}] must be a multiple of 0.05`);
      }
    }
    const loraIds = input.loras ?? [];
    const models = resolveLoras(c, [...(input.modelId ? [input.modelId] : []), ...loraIds], base.loraTypes);
    for (const assetId of input.referenceImages ?? []) {
      const asset = state.assets.get(assetId);
      if (!asset || asset.ownerId !== owner(c).ownerId || asset.availableAt > now()) {
        throw new ReasonError(404, `Asset ${assetId} not found`);
      }
    }
    const cost =
      Math.round((base.price.generation * (input.numOutputs ?? 1) + base.price.qualityGate) * 100) / 100;
    if (isDryRun(c)) {
      named(c, 'scenario.generate.custom.dryRun', { modelId: baseId });
      return json(
        {
          creativeUnitsCost: cost,
          creativeUnitsDiscount: 0,
          costDetails: {
            generation: base.price.generation * (input.numOutputs ?? 1),
            'quality-gate': base.price.qualityGate,
          },
        },
        269,
      );
    }
    // `modelId` comes first at scale 1 (a composition brings its own scales); a missing or short
    // `lorasScale` was accepted by the vendor's dry run, so missing scales default to 1.
    const loras: Array<{ id: string; strength: number }> = [];
    const first = input.modelId ? models[0] : undefined;
    if (first && !(first.concepts && loraIds.length > 0)) loras.push(...expand(first, 1));
    const rest = input.modelId ? models.slice(1) : models;
    rest.forEach((m, i) => {
      loras.push(...expand(m, input.lorasScale?.[i] ?? 1));
    });
    const provisional = core.id('seed');
    const seed = input.seed ?? seedFor(core, provisional);
    const job = startGeneration(c, {
      jobType: 'custom',
      modelId: baseId,
      prompt: input.prompt,
      seed,
      count: input.numOutputs ?? 1,
      width: input.width ?? base.defaults.width,
      height: input.height ?? base.defaults.height,
      loras,
      input: { ...input, seed },
      source: 'txt2img',
      metadataType: 'txt2img',
    });
    return json({ job: jobView(state, job, now()), creativeUnitsCost: cost, creativeUnitsDiscount: 0 });
  });

  app.notFound((c) => {
    c.env.info.route = 'scenario.unknown';
    return reason(404, `Route ${c.req.method} ${new URL(c.req.url).pathname} not found`);
  });

  return app;
}

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

/** Width and height from a PNG header, when the bytes are a PNG. */
function pngSize(bytes: Uint8Array): { width: number; height: number } | undefined {
  if (bytes.length < 24 || bytes[0] !== 0x89 || bytes[1] !== 0x50) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}
