export { BaseClient, type BaseClientConfig, type OutgoingRequest, Resource } from './base-client';
export { readCapped } from './capped-read';
export { defaultSleep, type Sleep } from './clock';
export {
  DOWNLOAD_DEFAULTS,
  type Download,
  type DownloadGuard,
  type DownloadLimits,
  type DownloadOptions,
  downloadImage,
} from './download';
export {
  type AnyEndpoint,
  defineEndpoint,
  type Endpoint,
  type EndpointResult,
  oneOfForms,
  type RequestParts,
} from './endpoint';
export {
  AbortedError,
  AuthenticationError,
  ConnectionError,
  createProviderError,
  DownloadError,
  type DownloadErrorCode,
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
export type { FetchLike, HttpMethod, RequestKind } from './http';
export { MODELSLAB_BASE_URL, ModelsLabClient, type ModelsLabClientOptions } from './modelslab/client';
export {
  type ModelsLabFineTuneInput,
  type ModelsLabImg2ImgInput,
  type ModelsLabText2ImgInput,
  modelslabEndpoints,
  modelslabSteps,
  modelslabStepsProblem,
} from './modelslab/endpoints';
export { ModelsLabImages, ModelsLabModels, ModelsLabTraining } from './modelslab/resources';
export {
  type ModelsLabImageResult,
  type ModelsLabProcessing,
  type ModelsLabPublicModel,
  type ModelsLabPublicModelList,
  type ModelsLabSuccess,
  type ModelsLabTrainingStatus,
  TRAINING_STAGES,
} from './modelslab/schemas';
export {
  ANSWER_DEFAULTS,
  type CallOptions,
  type CommonClientOptions,
  type DownloadCallOptions,
} from './options';
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
export { createRedactor, type Redactor, urlSecrets, wireForms, withSecrets } from './redact';
export { backoffDelay, type RetryOptions, type RetryPolicy, resolveRetryPolicy } from './retry';
export { SCENARIO_BASE_URL, ScenarioClient, type ScenarioClientOptions } from './scenario/client';
export {
  type CreateModelInput,
  type CustomGenerateInput,
  dryRunOf,
  type EditGenerateInput,
  type GenerateResult,
  type Img2imgGenerateInput,
  type ListJobsQuery,
  type ListModelsQuery,
  type ListPublicModelsQuery,
  type Page,
  scenarioEndpoints,
  type TrainingImageInput,
  type TrainModelInput,
  type TrainResult,
  type Txt2imgInput,
  type UploadAssetInput,
} from './scenario/endpoints';
export {
  type RouteB,
  ScenarioAssets,
  ScenarioGenerations,
  ScenarioJobs,
  ScenarioModels,
} from './scenario/resources';
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
