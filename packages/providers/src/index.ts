export { defaultSleep, type Sleep } from './clock';
export {
  AbortedError,
  AuthenticationError,
  ConnectionError,
  createProviderError,
  type ErrorFactoryInput,
  InsufficientCreditsError,
  modelsLabBodyError,
  NotFoundError,
  PermissionError,
  ProviderError,
  type ProviderErrorInit,
  type ProviderIssue,
  type ProviderName,
  ProviderResponseError,
  parseRetryAfter,
  RateLimitError,
  ServerError,
  TimeoutError,
  ValidationError,
} from './errors';
export type { FetchLike, RequestKind } from './http';
export {
  MODELSLAB_BASE_URL,
  ModelsLabClient,
  type ModelsLabClientOptions,
  type ModelsLabFineTuneInput,
  type ModelsLabText2ImgInput,
} from './modelslab/client';
export {
  type ModelsLabImageResult,
  type ModelsLabProcessing,
  type ModelsLabSuccess,
  type ModelsLabTrainingStatus,
  TRAINING_STAGES,
} from './modelslab/schemas';
export type { CallOptions, CommonClientOptions } from './options';
export {
  type JobProgress,
  type ModelProgress,
  type ModelsLabProgress,
  type WaitOptions,
  waitForJob,
  waitForModel,
  waitForModelsLabResult,
  waitForModelsLabTraining,
} from './polling';
export { createRedactor, type Redactor } from './redact';
export { backoffDelay, type RetryOptions, type RetryPolicy, resolveRetryPolicy } from './retry';
export {
  type CreateModelInput,
  type CustomGenerateInput,
  type Download,
  type GenerateResult,
  type ListJobsQuery,
  type ListModelsQuery,
  type ListPublicModelsQuery,
  type Page,
  SCENARIO_BASE_URL,
  ScenarioClient,
  type ScenarioClientOptions,
  type TrainingImageInput,
  type TrainModelInput,
  type TrainResult,
  type Txt2imgInput,
} from './scenario/client';
export {
  type Asset,
  type Concept,
  type CostEstimate,
  type Job,
  type Model,
  type ModelPhase,
  modelPhase,
  TERMINAL_JOB_STATUSES,
  type TrainingImage,
  type TrainingImagePair,
  type TrainingProgress,
} from './scenario/schemas';
