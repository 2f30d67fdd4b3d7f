import {
  BASE_MODELS,
  type BaseModelSpec,
  baseModelInputs,
  COMPOSITION_TYPES,
  findBaseModel,
  PUBLIC_LORAS,
} from '../catalogue';
import { type Core, iso } from '../context';
import { type ImageSpec, renderPng } from '../image';
import { hashString } from '../random';

/** Scenario's project for requests that do not pass `projectId`: API keys are bound to one server-side. */
export const DEFAULT_PROJECT_ID = 'proj_emulator';
const PUBLIC_OWNER = 'team_scenario-public';

/**
 * The marker that makes a training fail half-way, in a Scenario model's name or tags (or a ModelsLab prompt).
 *
 * @example
 * await client.createModel({ name: `demo ${FAIL_TRAINING_MARKER}`, type: 'flux.1-lora' });
 */
export const FAIL_TRAINING_MARKER = 'fail-training';

export type ModelStatus = 'new' | 'training' | 'trained' | 'failed' | 'training-canceled';
export type JobStatus =
  | 'queued'
  | 'warming-up'
  | 'pending'
  | 'in-progress'
  | 'finalizing'
  | 'success'
  | 'failure'
  | 'canceled';

export interface TrainingImageRecord {
  assetId: string;
  name: string;
  createdAt: number;
}

export interface Concept {
  modelId: string;
  scale: number;
  modelEpoch?: string;
}

/** A training run on the emulator clock; every stage boundary is fixed when training starts. */
export interface TrainingRun {
  jobId: string;
  startedAt: number;
  queuedAt: number;
  startingAt: number;
  runningAt: number;
  endsAt: number;
  /** Jobs ahead in the queue when the run was submitted; counts down to 0 during `queued-for-train`. */
  position: number;
  failsAt?: number;
  canceledAt?: number;
  /** Flux LoRA epochs with their sample images (one per sample prompt), each reached at `at`. */
  epochs?: Array<{ hash: string; at: number; assetIds: string[] }>;
}

export interface ModelRecord {
  id: string;
  name?: string;
  shortDescription?: string;
  type: string;
  privacy: 'private' | 'public';
  source: 'scenario' | 'huggingface' | 'civitai' | 'other';
  custom: boolean;
  ownerId: string;
  authorId: string;
  createdAt: number;
  updatedAt: number;
  tags: string[];
  collectionIds: string[];
  classSlug?: string;
  concepts?: Concept[];
  compliantModelIds?: string[];
  trainingImages: TrainingImageRecord[];
  pairs: Array<{ sourceId: string; targetId: string; instruction?: string }>;
  parameters?: Record<string, unknown>;
  /** Built-in models are trained from the start; user models follow their training run. */
  builtInStatus?: ModelStatus;
  run?: TrainingRun;
  base?: BaseModelSpec;
  /** A seeded model's picture (the spec's `thumbnail`); a trained one shows its last epoch's sample instead. */
  thumbnailAssetId?: string;
}

export interface JobRecord {
  id: string;
  jobType: string;
  ownerId: string;
  authorId: string;
  createdAt: number;
  /** Planned statuses with the emulated time each one is reached; cancel and failure cut it short. */
  plan: Array<{ status: JobStatus; at: number }>;
  modelId?: string;
  assetIds: string[];
  input: Record<string, unknown>;
  error?: string;
}

export interface AssetRecord {
  id: string;
  ownerId: string;
  authorId: string;
  createdAt: number;
  /** Emulated ms from which the asset exists (generation outputs appear when their job succeeds). */
  availableAt: number;
  source: string;
  metadataType: string;
  width?: number;
  height?: number;
  modelId?: string;
  seed?: string;
  inferenceId?: string;
  jobId?: string;
  name?: string;
  /** The asset an img2img or edit output was made from, or the one an upload names. */
  parentId?: string;
  bytes: () => Uint8Array;
  mimeType: string;
}

/** Everything a Scenario emulator holds. */
export interface ScenarioState {
  models: Map<string, ModelRecord>;
  jobs: Map<string, JobRecord>;
  assets: Map<string, AssetRecord>;
}

/** Creates the state with the seeded catalogue of base models and public LoRAs. */
export function createScenarioState(core: Core): ScenarioState {
  const models = new Map<string, ModelRecord>();
  const seededAt = core.clock.now() - 30 * 24 * 3600_000;
  // What every seeded public model shares: trained from the start, owned by no account (fresh lists for each).
  const seed = (
    spec: { id: string; name: string; shortDescription: string; type: string },
    own: Pick<ModelRecord, 'source' | 'custom' | 'tags'> &
      Partial<Pick<ModelRecord, 'base' | 'compliantModelIds' | 'thumbnailAssetId'>>,
  ) =>
    models.set(spec.id, {
      id: spec.id,
      name: spec.name,
      shortDescription: spec.shortDescription,
      type: spec.type,
      privacy: 'public',
      ownerId: PUBLIC_OWNER,
      authorId: 'user_scenario',
      createdAt: seededAt,
      updatedAt: seededAt,
      collectionIds: [],
      trainingImages: [],
      pairs: [],
      builtInStatus: 'trained',
      ...own,
    });
  const state: ScenarioState = { models, jobs: new Map(), assets: new Map() };
  // Only the file is stored (not an asset record): the catalogue's pictures are the CDN's, not an account's assets.
  const thumbnailOf = (id: string, name: string) => {
    const assetId = `asset_thumb-${id.replace(/^model_/, '')}`;
    core.files.put(assetPath(assetId), {
      mime: 'image/png',
      availableAt: seededAt,
      signed: true,
      // Rendered on first download: the model's own colour band over its name's scene.
      bytes: () =>
        renderPng({ prompt: name, seed: 7, width: 128, height: 128, loras: [{ id, strength: 1 }] }),
    });
    return assetId;
  };
  for (const base of BASE_MODELS) {
    seed(base, {
      source: 'scenario',
      custom: base.route === 'custom',
      tags: ['sc:base-model'],
      base,
      thumbnailAssetId: thumbnailOf(base.id, base.name),
    });
  }
  for (const lora of PUBLIC_LORAS) {
    seed(lora, {
      source: 'huggingface',
      custom: false,
      tags: [...lora.tags, 'sc:third-party'],
      compliantModelIds: lora.compliantModelIds,
      thumbnailAssetId: thumbnailOf(lora.id, lora.name),
    });
  }
  return state;
}

/** Whether a model's name or tags ask for a failing training. */
export function wantsFailure(model: ModelRecord): boolean {
  const text = [model.name ?? '', ...model.tags].join(' ').toLowerCase();
  return text.includes(FAIL_TRAINING_MARKER);
}

/** The model's status at emulated time `now`. */
export function modelStatus(model: ModelRecord, now: number): ModelStatus {
  if (model.builtInStatus) return model.builtInStatus;
  const run = model.run;
  if (!run) return 'new';
  if (run.canceledAt !== undefined && run.canceledAt <= now) return 'training-canceled';
  if (run.failsAt !== undefined && run.failsAt <= now) return 'failed';
  return now >= run.endsAt ? 'trained' : 'training';
}

/** When the model last changed, for `updatedAt`. */
function modelUpdatedAt(model: ModelRecord, now: number): number {
  const run = model.run;
  if (!run) return model.updatedAt;
  const moments = [model.updatedAt, run.startedAt, run.queuedAt, run.startingAt, run.runningAt, run.endsAt];
  if (run.failsAt !== undefined) moments.push(run.failsAt);
  if (run.canceledAt !== undefined) moments.push(run.canceledAt);
  return Math.max(...moments.filter((m) => m <= now));
}

/** The epochs a run has completed by `now` (none after the moment it was canceled or failed). */
export function reachedEpochs(run: TrainingRun, now: number): NonNullable<TrainingRun['epochs']> {
  const stop = Math.min(
    now,
    run.canceledAt ?? Number.POSITIVE_INFINITY,
    run.failsAt ?? Number.POSITIVE_INFINITY,
  );
  return (run.epochs ?? []).filter((e) => e.at <= stop);
}

/**
 * Plans a Flux LoRA's epochs: each one ends at an even share of the running stage and renders one
 * sample per prompt with the LoRA at the epoch's share of full strength, so samples visibly converge.
 */
export function planEpochs(
  core: Core,
  state: ScenarioState,
  model: ModelRecord,
  run: TrainingRun,
  o: { count: number; prompts: string[]; owner: { ownerId: string; authorId: string } },
): void {
  const epochs: NonNullable<TrainingRun['epochs']> = [];
  for (let i = 0; i < o.count; i++) {
    const at = run.runningAt + Math.round(((i + 1) / o.count) * (run.endsAt - run.runningAt));
    if (run.failsAt !== undefined && at > run.failsAt) break;
    const strength = (i + 1) / o.count;
    const assetIds = o.prompts.map((prompt, p) => {
      const id = core.id('asset');
      putAsset(core, state, {
        id,
        ...o.owner,
        createdAt: at,
        availableAt: at,
        source: 'inference-txt',
        metadataType: 'inference-txt2img',
        width: 256,
        height: 256,
        modelId: model.id,
        seed: String(p),
        mimeType: 'image/png',
        bytes: () =>
          renderPng({ prompt, seed: p, width: 256, height: 256, loras: [{ id: model.id, strength }] }),
      });
      return id;
    });
    epochs.push({
      hash: hashString(`${model.id}:${i}`, core.seed).toString(16).padStart(8, '0'),
      at,
      assetIds,
    });
  }
  run.epochs = epochs;
}

/** Forgets the sample images of epochs a stopped run never reached. */
export function dropUnreachedEpochs(state: ScenarioState, run: TrainingRun, stop: number): void {
  if (!run.epochs) return;
  for (const epoch of run.epochs.filter((e) => e.at > stop)) {
    for (const id of epoch.assetIds) state.assets.delete(id);
  }
  run.epochs = run.epochs.filter((e) => e.at <= stop);
}

/** Scenario's `trainingProgress` for a run at `now`. */
export function trainingProgress(run: TrainingRun, now: number): Record<string, number | string> {
  const end = run.canceledAt ?? run.failsAt ?? run.endsAt;
  const t = Math.min(now, end);
  const remainingTimeMs = Math.max(0, run.endsAt - t);
  if (t < run.queuedAt) {
    return {
      stage: 'pending',
      updatedAt: run.startedAt,
      position: run.position,
      progress: 0,
      remainingTimeMs,
    };
  }
  if (t < run.startingAt) {
    // The queue drains evenly: the position counts down to 0 across the queued stage.
    const fraction = (t - run.queuedAt) / (run.startingAt - run.queuedAt);
    const position = Math.round(run.position * (1 - fraction));
    return { stage: 'queued-for-train', updatedAt: t, position, progress: 0, remainingTimeMs };
  }
  if (t < run.runningAt) {
    return { stage: 'starting-train', updatedAt: run.startingAt, position: 0, progress: 0, remainingTimeMs };
  }
  const span = run.endsAt - run.runningAt;
  const progress = span <= 0 ? 1 : Math.min(1, (t - run.runningAt) / span);
  return {
    stage: 'running-train',
    updatedAt: t,
    position: 0,
    progress: Math.round(progress * 1000) / 1000,
    remainingTimeMs,
    startedAt: run.runningAt,
  };
}

/** A job's status at `now`. */
export function jobStatus(job: JobRecord, now: number): JobStatus {
  let status: JobStatus = job.plan[0]?.status ?? 'queued';
  for (const step of job.plan) if (step.at <= now) status = step.status;
  return status;
}

const TERMINAL: ReadonlySet<JobStatus> = new Set(['success', 'failure', 'canceled']);

/** Whether a status ends a job. */
export const isTerminal = (status: JobStatus): boolean => TERMINAL.has(status);

/** Cuts a job's plan at `now` and ends it with `status`. */
export function endJob(job: JobRecord, status: JobStatus, now: number, error?: string): void {
  job.plan = job.plan.filter((s) => s.at <= now);
  job.plan.push({ status, at: now });
  if (error !== undefined) job.error = error;
}

function jobProgress(state: ScenarioState, job: JobRecord, now: number): number {
  const status = jobStatus(job, now);
  if (status === 'success') return 1;
  const model = job.modelId ? state.models.get(job.modelId) : undefined;
  if (model?.run?.jobId === job.id) {
    const p = trainingProgress(model.run, now).progress;
    return typeof p === 'number' ? p : 0;
  }
  const start = job.plan.find((s) => s.status === 'in-progress')?.at;
  const end = job.plan.find((s) => s.status === 'success')?.at;
  if (start === undefined || end === undefined || now < start) return 0;
  return Math.min(1, Math.round(((now - start) / (end - start)) * 1000) / 1000);
}

/** The vendor's job object. */
export function jobView(state: ScenarioState, job: JobRecord, now: number): Record<string, unknown> {
  const history = job.plan.filter((s) => s.at <= now);
  const status = jobStatus(job, now);
  const metadata: Record<string, unknown> = {
    input: job.input,
    assetIds: status === 'success' ? job.assetIds : [],
  };
  if (job.modelId) metadata.output = { modelId: job.modelId };
  if (job.error !== undefined && (status === 'failure' || status === 'canceled')) metadata.error = job.error;
  return {
    jobId: job.id,
    jobType: job.jobType,
    status,
    progress: jobProgress(state, job, now),
    createdAt: iso(job.createdAt),
    updatedAt: iso(history.at(-1)?.at ?? job.createdAt),
    statusHistory: history.map((s) => ({ status: s.status, date: iso(s.at) })),
    metadata,
    authorId: job.authorId,
    ownerId: job.ownerId,
  };
}

/** The vendor's training-image object. */
export function trainingImageView(core: Core, state: ScenarioState, image: TrainingImageRecord, now: number) {
  const asset = state.assets.get(image.assetId);
  return {
    id: image.assetId,
    name: image.name,
    downloadUrl: asset ? core.files.url(assetPath(asset.id), now) : '',
    createdAt: iso(image.createdAt),
    description: '',
    automaticCaptioning: '',
  };
}

/** The file path of an asset's bytes under `/files/`. */
export const assetPath = (assetId: string): string => `scenario/${assetId}.png`;

/**
 * The vendor's model object. `full` is the `GET /models/{id}` form (all training images, `inputs`,
 * `uiConfig`); list rows carry the first three training images and no inputs, as captured.
 */
export function modelView(
  core: Core,
  state: ScenarioState,
  model: ModelRecord,
  now: number,
  full: boolean,
): Record<string, unknown> {
  const status = modelStatus(model, now);
  const out: Record<string, unknown> = {
    id: model.id,
    type: model.type,
    status,
    privacy: model.privacy,
    source: model.source,
    custom: model.custom,
    capabilities: model.type.includes('edit') ? ['img2img'] : ['txt2img'],
    collectionIds: model.collectionIds,
    exampleAssetIds: [],
    tags: model.tags,
    trainingImagesNumber: model.trainingImages.length,
    createdAt: iso(model.createdAt),
    updatedAt: iso(modelUpdatedAt(model, now)),
    ownerId: model.ownerId,
    authorId: model.authorId,
  };
  if (model.name !== undefined) out.name = model.name;
  if (model.shortDescription !== undefined) out.shortDescription = model.shortDescription;
  if (model.compliantModelIds) out.compliantModelIds = model.compliantModelIds;
  if (model.concepts) out.concepts = model.concepts;
  if (model.parameters) out.parameters = model.parameters;
  const images = full ? model.trainingImages : model.trainingImages.slice(0, 3);
  out.trainingImages = images.map((i) => trainingImageView(core, state, i, now));
  if (model.pairs.length > 0) out.trainingImagePairs = model.pairs;
  if (model.run) {
    out.trainingProgress = trainingProgress(model.run, now);
    const reached = reachedEpochs(model.run, now);
    if (reached.length > 0) {
      out.epochs = reached.map((e) => ({
        epoch: e.hash,
        assets: e.assetIds.map((assetId) => ({ assetId, url: core.files.url(assetPath(assetId), now) })),
      }));
      const last = reached.at(-1)?.assetIds[0];
      if (last) out.thumbnail = { assetId: last, url: core.files.url(assetPath(last), now) };
    }
    if (status === 'trained') {
      out.trainingStats = {
        queueDuration: Math.round((model.run.runningAt - model.run.startedAt) / 1000),
        trainDuration: Math.round((model.run.endsAt - model.run.runningAt) / 1000),
        startedAt: iso(model.run.runningAt),
        endedAt: iso(model.run.endsAt),
      };
    }
  }
  // Without epoch samples, a trained model shows its first training image, a seeded one its own picture.
  const fallback =
    model.thumbnailAssetId ?? (status === 'trained' ? model.trainingImages[0]?.assetId : undefined);
  if (out.thumbnail === undefined && fallback !== undefined) {
    out.thumbnail = { assetId: fallback, url: core.files.url(assetPath(fallback), now) };
  }
  if (full && model.custom && model.base) {
    out.inputs = baseModelInputs(model.base);
    out.uiConfig = {
      lorasComponent: {
        label: 'LoRAs',
        modelInput: 'loras',
        scaleInput: 'lorasScale',
        modelIdInput: 'modelId',
      },
    };
  }
  return out;
}

/** The vendor's asset object. */
export function assetView(core: Core, asset: AssetRecord, now: number): Record<string, unknown> {
  const metadata: Record<string, unknown> = { kind: 'image', type: asset.metadataType };
  if (asset.modelId !== undefined) metadata.modelId = asset.modelId;
  if (asset.seed !== undefined) metadata.seed = asset.seed;
  if (asset.inferenceId !== undefined) metadata.inferenceId = asset.inferenceId;
  if (asset.name !== undefined) metadata.name = asset.name;
  if (asset.parentId !== undefined) metadata.parentId = asset.parentId;
  const properties: Record<string, number> = { size: asset.bytes().length };
  if (asset.width !== undefined) properties.width = asset.width;
  if (asset.height !== undefined) properties.height = asset.height;
  return {
    id: asset.id,
    url: core.files.url(assetPath(asset.id), now),
    mimeType: asset.mimeType,
    kind: 'image',
    status: 'success',
    source: asset.source,
    properties,
    metadata,
    ownerId: asset.ownerId,
    authorId: asset.authorId,
    privacy: 'private',
    tags: [],
    collectionIds: [],
    editCapabilities: [],
    createdAt: iso(asset.createdAt),
    updatedAt: iso(asset.availableAt),
  };
}

/** Stores an asset and its file; generated pictures render on first download. */
export function putAsset(core: Core, state: ScenarioState, asset: AssetRecord): void {
  state.assets.set(asset.id, asset);
  core.files.put(assetPath(asset.id), {
    mime: asset.mimeType,
    bytes: asset.bytes,
    availableAt: asset.availableAt,
    signed: true,
  });
}

/** Creates the generated assets of a job (visible once the job succeeds). */
export function generatedAssets(
  core: Core,
  state: ScenarioState,
  o: {
    owner: { ownerId: string; authorId: string };
    count: number;
    prompt: string;
    seed: number;
    width: number;
    height: number;
    loras: Array<{ id: string; strength: number }>;
    modelId: string;
    jobId: string;
    availableAt: number;
    source: string;
    metadataType: string;
    inferenceId?: string;
    /** Image-to-image and edits: the input picture and how much of it the generation replaces. */
    init?: ImageSpec['init'];
    parentId?: string;
  },
): string[] {
  const ids: string[] = [];
  for (let index = 0; index < o.count; index++) {
    const id = core.id('asset');
    const asset: AssetRecord = {
      id,
      ...o.owner,
      createdAt: o.availableAt,
      availableAt: o.availableAt,
      source: o.source,
      metadataType: o.metadataType,
      width: o.width,
      height: o.height,
      modelId: o.modelId,
      seed: String(o.seed + index),
      jobId: o.jobId,
      mimeType: 'image/png',
      bytes: () =>
        renderPng({
          prompt: o.prompt,
          seed: o.seed,
          width: o.width,
          height: o.height,
          loras: o.loras,
          index,
          ...(o.init ? { init: o.init } : {}),
        }),
    };
    if (o.inferenceId !== undefined) asset.inferenceId = o.inferenceId;
    if (o.parentId !== undefined) asset.parentId = o.parentId;
    putAsset(core, state, asset);
    ids.push(id);
  }
  return ids;
}

/** The LoRA type a composition's concepts must have, if `type` is a composition. */
export const conceptTypeFor = (type: string): string | undefined => COMPOSITION_TYPES[type];

/** Is `type` a LoRA (or composition) that can be trained? */
export function isTrainable(type: string): boolean {
  return type.endsWith('-lora') || type.endsWith('-composition');
}

/** The seed used when a request gives none: deterministic in the emulator seed and the job id. */
export const seedFor = (core: Core, jobId: string): number => hashString(jobId, core.seed) % 2147483647;

export { findBaseModel };
