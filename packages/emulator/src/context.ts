import type { EmulatorClock } from './clock';
import type { FileStore } from './files';
import type { LogEntry } from './request-log';
import type { WebhookDispatcher } from './webhooks';

/**
 * Timings of the emulated services, in emulated milliseconds.
 *
 * @example
 * createEmulator({ timings: { modelslabEtaMs: 0 } }); // ModelsLab answers `success` at once
 */
export interface Timings {
  /** A Scenario LoRA training, from `PUT /train` to `trained` (default 15 minutes). */
  trainingMs: number;
  /** Finalising a composition after its `PUT /train` (default 5 s). */
  compositionMs: number;
  /** A Scenario generation job, from submission to `success` (default 10 s). */
  generationMs: number;
  /** ModelsLab's `eta` for text2img; 0 answers `success` at once (default 13 s, as in the vendor's example). */
  modelslabEtaMs: number;
  /** A ModelsLab v3 LoRA training, from `deploying_gpu` to `model_ready` (default 20 minutes). */
  modelslabTrainingMs: number;
  /** ModelsLab's per-key queue limit before a 429 (default 5, the pay-as-you-go plan's). */
  modelslabQueueLimit: number;
}

/**
 * Counts of one-shot misbehaviours still to come; each use takes one.
 *
 * @example
 * emulator.misbehave({ emptyGenerations: 1 }); // the next Scenario generation succeeds with no assets
 */
export interface Quirks {
  /** Scenario generation jobs that end `success` with no assets. */
  emptyGenerations: number;
  /** ModelsLab generations that end `failed`. */
  failedGenerations: number;
}

/** What a route tells the request log about itself. */
export type RequestInfo = Pick<LogEntry, 'route'> & Partial<Pick<LogEntry, 'modelId' | 'jobId' | 'account'>>;

/** Hono environment of the emulator's apps: each request carries a mutable info record for the log. */
export type Env = { Bindings: { info: RequestInfo } };

/** Shared services of one emulator instance. */
export interface Core {
  clock: EmulatorClock;
  files: FileStore;
  /** ModelsLab webhooks (loopback receivers only). */
  webhooks: WebhookDispatcher;
  timings: Timings;
  /** One-shot misbehaviours a test asks for (see `Emulator.misbehave`). */
  quirks: Quirks;
  seed: number;
  publicUrl(): string;
  /** A fresh vendor-looking id, deterministic in the seed and the number of ids drawn so far. */
  id(prefix: string, length?: number): string;
}

/** Epoch ms → ISO string, the vendors' timestamp format. */
export const iso = (ms: number): string => new Date(ms).toISOString();
