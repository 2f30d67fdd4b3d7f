import { abortedError, defaultSleep, type Sleep, sleepOrAbort } from './clock';
import { ProviderError, type ProviderName, providerLabel, TimeoutError } from './errors';
import type { ModelsLabClient } from './modelslab/client';
import type { ModelsLabSuccess, ModelsLabTrainingStatus } from './modelslab/schemas';
import type { ScenarioClient } from './scenario/client';
import { type Job, type Model, modelPhase, TERMINAL_JOB_STATUSES } from './scenario/schemas';

/**
 * Options every waiting helper takes.
 *
 * @example
 * await waitForJob({ client, jobId, timeoutMs: 120_000, signal, onProgress: (p) => bar.set(p.progress ?? 0) });
 */
export interface WaitOptions<P> {
  /** Give up after this long (ms); the helper throws a `TimeoutError` with code `wait_timeout`. */
  timeoutMs?: number;
  /** Stops waiting; the helper throws an `AbortedError`. */
  signal?: AbortSignal;
  /** Called after every status read. */
  onProgress?: (progress: P) => void;
  /** Injected sleep (tests and the benchmark advance a manual clock with it). */
  sleep?: Sleep;
  /** Injected clock in ms (default `Date.now`). */
  now?: () => number;
  /** Shortest pause between two polls (ms). */
  minIntervalMs?: number;
  /** Longest pause between two polls (ms). */
  maxIntervalMs?: number;
  /** Status reads that may fail in a row (after the client's own retries) before the wait gives up (default 5). */
  maxConsecutiveErrors?: number;
}

interface PollSpec<T, P> {
  provider: ProviderName;
  what: string;
  read: (signal: AbortSignal | undefined) => Promise<T>;
  done: (value: T) => boolean;
  progress: (value: T) => P;
  /** The next pause in ms, given the last value and how many polls came before. */
  delay: (value: T, polls: number) => number;
  initialDelayMs?: number;
  defaultTimeoutMs: number;
  /** Asks the vendor to stop the work when the wait ends because `signal` aborted (a failure to do so is ignored). */
  cancelOnAbort?: (() => Promise<unknown>) | undefined;
}

async function poll<T, P>(spec: PollSpec<T, P>, o: WaitOptions<P>): Promise<T> {
  try {
    return await pollUntilDone(spec, o);
  } catch (e) {
    if (spec.cancelOnAbort && o.signal?.aborted) await spec.cancelOnAbort().catch(() => undefined);
    throw e;
  }
}

async function pollUntilDone<T, P>(spec: PollSpec<T, P>, o: WaitOptions<P>): Promise<T> {
  const sleep = o.sleep ?? defaultSleep;
  const now = o.now ?? Date.now;
  const timeoutMs = o.timeoutMs ?? spec.defaultTimeoutMs;
  const deadline = now() + timeoutMs;
  const label = `${providerLabel(spec.provider)} ${spec.what}`;
  const maxErrors = o.maxConsecutiveErrors ?? 5;
  const pause = async (ms: number) => {
    const left = deadline - now();
    if (left <= 0) {
      throw new TimeoutError({
        provider: spec.provider,
        code: 'wait_timeout',
        retryable: true,
        message: `Gave up waiting for ${label} after ${timeoutMs} ms; it may still finish later.`,
      });
    }
    await sleepOrAbort(
      sleep,
      Math.min(Math.max(0, ms), left),
      o.signal,
      spec.provider,
      `waiting for ${label}`,
    );
  };
  if (spec.initialDelayMs) await pause(spec.initialDelayMs);
  let errors = 0;
  for (let polls = 0; ; polls++) {
    if (o.signal?.aborted) throw abortedError(spec.provider, `waiting for ${label}`);
    let value: T;
    try {
      value = await spec.read(o.signal);
      errors = 0;
    } catch (e) {
      // A long wait outlives a flaky minute: retryable failures (after the client's retries) are ridden out.
      if (!(e instanceof ProviderError) || !e.retryable || e.code === 'aborted' || ++errors > maxErrors)
        throw e;
      await pause(
        e.retryAfterMs ?? clamp(1000 * 2 ** errors, o.minIntervalMs ?? 1000, o.maxIntervalMs ?? 60_000),
      );
      continue;
    }
    o.onProgress?.(spec.progress(value));
    if (spec.done(value)) return value;
    await pause(
      clamp(spec.delay(value, polls), o.minIntervalMs ?? 250, o.maxIntervalMs ?? Number.POSITIVE_INFINITY),
    );
  }
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(Math.max(v, lo), hi);
}

function backoff(polls: number, first: number, factor: number, max: number): number {
  return Math.min(max, first * factor ** polls);
}

/** Time left from a progress fraction and two server timestamps (ms), or undefined when unknowable. */
function estimateRemaining(
  progress: number | undefined,
  startedAt: number | undefined,
  at: number | undefined,
) {
  if (progress === undefined || startedAt === undefined || at === undefined) return undefined;
  if (!(progress > 0.02 && progress < 1) || at <= startedAt) return undefined;
  return ((at - startedAt) * (1 - progress)) / progress;
}

// Polling a moment after the estimated end absorbs rounding in the vendor's estimate.
const SETTLE_MS = 1000;
// ModelsLab's eta is in whole seconds and fetches are cheap: a shorter margin keeps detection prompt.
const ML_SETTLE_MS = 250;

/**
 * What {@link waitForModel} reports after each read.
 *
 * @example
 * onProgress: (p: ModelProgress) => console.log(p.stage, p.position, p.remainingTimeMs)
 */
export interface ModelProgress {
  status: string;
  stage: string | undefined;
  /** Jobs ahead in the training queue. */
  position: number | undefined;
  /** 0..1. */
  progress: number | undefined;
  remainingTimeMs: number | undefined;
  model: Model;
}

/**
 * Waits until a Scenario model is `trained`, `failed` or `training-canceled`, and returns it (check
 * `status`: a failed training is returned, not thrown). The next poll is scheduled from the vendor's
 * `trainingProgress.remainingTimeMs` when it gives one, else from the progress rate, else with backoff.
 * Unknown statuses (and the guide's `draft`) count as not finished.
 *
 * @example
 * const model = await waitForModel({ client: scenario, modelId, timeoutMs: 3_600_000,
 *   onProgress: (p) => console.log(p.stage, p.progress) });
 * if (model.status !== 'trained') throw new Error(`training ended ${model.status}`);
 */
export async function waitForModel(
  options: WaitOptions<ModelProgress> & {
    client: ScenarioClient;
    modelId: string;
    /** Ask Scenario to cancel the training when `signal` aborts (default false). */
    cancelOnAbort?: boolean;
  },
): Promise<Model> {
  const { client, modelId } = options;
  return poll<Model, ModelProgress>(
    {
      provider: 'scenario',
      what: `training of model ${modelId}`,
      cancelOnAbort: options.cancelOnAbort ? () => client.cancelTraining(modelId) : undefined,
      defaultTimeoutMs: 2 * 3_600_000,
      read: (signal) => client.getModel(modelId, { signal }),
      done: (m) => ['trained', 'failed', 'canceled'].includes(modelPhase(m.status)),
      progress: (m) => ({
        status: m.status,
        stage: m.trainingProgress?.stage,
        position: m.trainingProgress?.position,
        progress: m.trainingProgress?.progress,
        remainingTimeMs: m.trainingProgress?.remainingTimeMs,
        model: m,
      }),
      delay: (m, polls) => {
        const tp = m.trainingProgress;
        if (tp?.remainingTimeMs !== undefined && tp.remainingTimeMs > 0)
          return tp.remainingTimeMs + SETTLE_MS;
        const est = estimateRemaining(tp?.progress, tp?.startedAt, tp?.updatedAt);
        if (est !== undefined) return est + SETTLE_MS;
        // Finished by the estimate but not by the status: the vendor is finalising, look again soon.
        if (tp?.remainingTimeMs === 0 || tp?.progress === 1) return backoff(polls, 1000, 1.5, 10_000);
        return backoff(polls, 5000, 1.5, 30_000);
      },
    },
    { maxIntervalMs: 300_000, ...options },
  );
}

/**
 * What {@link waitForJob} reports after each read.
 *
 * @example
 * onProgress: (p: JobProgress) => console.log(p.status, p.progress)
 */
export interface JobProgress {
  status: string | undefined;
  progress: number | undefined;
  job: Job;
}

/**
 * Waits until a Scenario job is `success`, `failure` or `canceled`, and returns it (check `status`).
 * Output assets are then in `job.metadata.assetIds`.
 *
 * @example
 * const job = await waitForJob({ client: scenario, jobId: submitted.job.jobId, timeoutMs: 120_000 });
 * const assetIds = job.status === 'success' ? job.metadata?.assetIds ?? [] : [];
 */
export async function waitForJob(
  options: WaitOptions<JobProgress> & { client: ScenarioClient; jobId: string; cancelOnAbort?: boolean },
): Promise<Job> {
  const { client, jobId } = options;
  return poll<Job, JobProgress>(
    {
      provider: 'scenario',
      what: `job ${jobId}`,
      cancelOnAbort: options.cancelOnAbort ? () => client.cancelJob(jobId) : undefined,
      defaultTimeoutMs: 30 * 60_000,
      read: (signal) => client.getJob(jobId, { signal }),
      done: (j) => TERMINAL_JOB_STATUSES.has(j.status ?? ''),
      progress: (j) => ({ status: j.status, progress: j.progress, job: j }),
      delay: (j, polls) => {
        const created = j.createdAt ? Date.parse(j.createdAt) : Number.NaN;
        const updated = j.updatedAt ? Date.parse(j.updatedAt) : Number.NaN;
        const est = estimateRemaining(
          j.progress,
          Number.isNaN(created) ? undefined : created,
          Number.isNaN(updated) ? undefined : updated,
        );
        return est !== undefined ? Math.min(est + SETTLE_MS, 30_000) : backoff(polls, 1000, 1.5, 10_000);
      },
    },
    { maxIntervalMs: 60_000, ...options },
  );
}

/**
 * What {@link waitForModelsLabResult} reports after each fetch.
 *
 * @example
 * onProgress: (p: ModelsLabProgress) => console.log(p.status, p.etaMs)
 */
export interface ModelsLabProgress {
  status: 'processing' | 'success';
  id: string;
  etaMs: number | undefined;
}

/**
 * Waits for a queued ModelsLab generation: first for the `eta` it announced, then polls `fetch`
 * (re-using each new `eta`). Resolves with the success (image URLs); an `error`/`failed` answer throws.
 *
 * @example
 * const first = await ml.text2img({ modelId: 'sdxl', prompt: 'a fox' });
 * const done = first.status === 'success' ? first : await waitForModelsLabResult({ client: ml, id: first.id, etaMs: first.etaMs });
 * console.log(done.output);
 */
export async function waitForModelsLabResult(
  options: WaitOptions<ModelsLabProgress> & {
    client: ModelsLabClient;
    id: string;
    etaMs?: number | undefined;
  },
): Promise<ModelsLabSuccess> {
  const { client, id } = options;
  const result = await poll(
    {
      provider: 'modelslab',
      what: `generation ${id}`,
      defaultTimeoutMs: 5 * 60_000,
      initialDelayMs: options.etaMs !== undefined ? options.etaMs + ML_SETTLE_MS : 2000,
      read: (signal) => client.fetch(id, { signal }),
      done: (r) => r.status === 'success',
      progress: (r): ModelsLabProgress => ({
        status: r.status,
        id,
        etaMs: r.status === 'processing' ? r.etaMs : 0,
      }),
      delay: (r, polls) =>
        r.status === 'processing' && r.etaMs ? r.etaMs + ML_SETTLE_MS : backoff(polls, 1000, 2, 10_000),
    },
    { maxIntervalMs: 60_000, ...options },
  );
  return result as ModelsLabSuccess;
}

/**
 * Waits for a ModelsLab v3 training to reach `model_ready`, reporting each stage. Failures arrive as
 * `status:"error"` and throw.
 *
 * @example
 * const { trainingId } = await ml.loraFineTune(input);
 * await waitForModelsLabTraining({ client: ml, trainingId, onProgress: (s) => console.log(s.stage) });
 */
export async function waitForModelsLabTraining(
  options: WaitOptions<ModelsLabTrainingStatus> & { client: ModelsLabClient; trainingId: string },
): Promise<ModelsLabTrainingStatus> {
  const { client, trainingId } = options;
  return poll(
    {
      provider: 'modelslab',
      what: `training ${trainingId}`,
      defaultTimeoutMs: 60 * 60_000,
      read: (signal) => client.fineTuneStatus(trainingId, { signal }),
      done: (s) => s.done,
      progress: (s) => s,
      delay: (_s, polls) => backoff(polls, 10_000, 1.5, 60_000),
    },
    { maxIntervalMs: 120_000, ...options },
  );
}
