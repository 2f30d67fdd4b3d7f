import type { ModelsLabFamily } from '../catalogue';
import { hashString } from '../random';

/**
 * When each v3 training stage starts, as a fraction of the whole training (training itself is most
 * of it), in the vendor's order; `model_ready` is terminal. The names are the spec's enum
 * (`messege` of `fine_tune_status`, `training_status` of webhooks); a test holds them to it.
 */
export const TRAINING_SCHEDULE = [
  { stage: 'deploying_gpu', startsAt: 0 },
  { stage: 'training_started', startsAt: 0.1 },
  { stage: 'training_success', startsAt: 0.7 },
  { stage: 'trained_model_compressing', startsAt: 0.75 },
  { stage: 'trained_model_uploading', startsAt: 0.8 },
  { stage: 'trained_model_uploaded', startsAt: 0.85 },
  { stage: 'deploying_model', startsAt: 0.88 },
  { stage: 'model_ready', startsAt: 1 },
] as const;

/** A v3 training stage. */
export type TrainingStage = (typeof TRAINING_SCHEDULE)[number]['stage'];

export interface GenerationRecord {
  id: number;
  key: string;
  createdAt: number;
  readyAt: number;
  meta: Record<string, unknown>;
  files: string[];
  /** Set by `misbehave({ failedGenerations })`: the request ends `failed` instead of `success`. */
  failed?: boolean;
}

export interface TrainingRecord {
  id: string;
  key: string;
  createdAt: number;
  endsAt: number;
  family: ModelsLabFamily;
  steps: number;
  failsAt?: number;
  canceledAt?: number;
  deleted?: boolean;
}

/** What the ModelsLab emulator holds. */
export interface ModelsLabState {
  generations: Map<number, GenerationRecord>;
  trainings: Map<string, TrainingRecord>;
  nextId: number;
}

/** Creates empty ModelsLab state; request ids are integers, as the vendor's are. */
export function createModelsLabState(seed: number): ModelsLabState {
  return {
    generations: new Map(),
    trainings: new Map(),
    nextId: 29763508 + (hashString('modelslab', seed) % 100000),
  };
}

/** Where a v3 training stands at `t`: its stage and log, or the error a status call reports. */
export function trainingOutcome(
  record: Pick<TrainingRecord, 'createdAt' | 'endsAt' | 'failsAt' | 'canceledAt' | 'steps'>,
  t: number,
): { stage: TrainingStage; log: string; error?: string } {
  const duration = record.endsAt - record.createdAt;
  const stopAt = Math.min(record.canceledAt ?? Infinity, record.failsAt ?? Infinity);
  const at = Math.min(t, stopAt);
  const fraction = duration <= 0 ? 1 : Math.min(1, (at - record.createdAt) / duration);
  let stage: TrainingStage = TRAINING_SCHEDULE[0].stage;
  for (const step of TRAINING_SCHEDULE) if (fraction >= step.startsAt) stage = step.stage;
  const trainFraction = Math.max(0, Math.min(1, (fraction - 0.1) / 0.6));
  const step = Math.round(trainFraction * record.steps);
  const minutes = Math.max(0, Math.ceil((record.endsAt - at) / 60_000));
  const log = [
    `stage: ${stage}`,
    `steps: ${step}/${record.steps}`,
    stage === 'model_ready' ? 'ETA: done' : `ETA: about ${minutes} minute${minutes === 1 ? '' : 's'}`,
  ].join('\n');
  if (record.canceledAt !== undefined && record.canceledAt <= t) {
    return { stage, log, error: 'Training was canceled' };
  }
  if (record.failsAt !== undefined && record.failsAt <= t) {
    return { stage, log, error: 'Training failed: the loss diverged (the prompt is marked "fail-training")' };
  }
  return { stage, log };
}

/** Fails a v3 training now (the control API's cue). Returns false when there is no such active training. */
export function failModelsLabTraining(state: ModelsLabState, id: string, t: number): boolean {
  const record = state.trainings.get(id);
  if (!record || trainingOutcome(record, t).error !== undefined || t >= record.endsAt) return false;
  record.failsAt = t;
  return true;
}
