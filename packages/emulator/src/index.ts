export {
  BASE_MODELS,
  type BaseModelSpec,
  LORA_FAMILIES,
  MODELSLAB_BASE_MODELS,
  MODELSLAB_PUBLIC_LORAS,
  type ModelsLabFamily,
  PUBLIC_LORAS,
  type PublicLoraSpec,
} from './catalogue';
export { type ClockMode, createClock, type EmulatorClock, emulatedSleep, MANUAL_CLOCK_START } from './clock';
export type { Timings } from './context';
export {
  createEmulator,
  DEFAULT_TIMINGS,
  EMULATOR_CREDENTIALS,
  type Emulator,
  EmulatorConnectionReset,
  type EmulatorOptions,
  type EmulatorState,
  isConnectionReset,
  type Misbehaviour,
  misbehaviourSchema,
} from './emulator';
export { type FaultRule, type Faults, faultRuleSchema } from './faults';
export { type ImageSpec, loraOpacity, renderIndexed, renderPng } from './image';
export { decodeInputImage, type InputImage, InputImageError } from './input-image';
export {
  createRecordingFetch,
  isRecorded,
  type RecordedRequest,
  type RequestSink,
  recordedWrite,
  recordSchema,
  replayCredentials,
  replayRequests,
  restoreEmulator,
} from './recording';
export type { LogEntry, LogQuery, RequestLog } from './request-log';
export { FAIL_TRAINING_MARKER } from './scenario/state';
export type { WebhookDelivery, Webhooks } from './webhooks';
