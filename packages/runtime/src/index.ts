export { buildCatalogue } from './catalogue';
// every type of the contract entry, so a host that loads the runtime imports them from one place
export type * from './contract';
export { parseInEnglish, RUNTIME_CODES, RuntimeError } from './errors';
export { createRuntimeHandler, type RuntimeHandler, type RuntimeHandlerOptions } from './http/handler';
export type { CredentialsHook } from './http/tenant';
export { WEBHOOK_CODES } from './http/webhooks';
export { createModelCatalogue, MAX_MODELS_LIMIT, modelQuerySchema } from './models';
export type { StopAnswer, StopStep, WorkStopper } from './orphan-cancel';
export { createRemoteRuntime, type RemoteRuntimeOptions } from './remote';
export { createRuntime, HEARTBEAT_MS, INTERRUPTED_AFTER_MS, type RuntimeOptions } from './runtime';
export { createIndexedDbStore, type IndexedDbStoreOptions } from './store/indexeddb';
export { createMemoryStore } from './store/memory';
export { storeSchemas, validStoreRecord } from './store/record-schemas';
export {
  parseTenantCredentials,
  type TenantCredentials,
  type TenantOptions,
  tenantCredentialsSchema,
} from './tenants';
export {
  createWebhookReceiver,
  MAX_HELD_JOBS,
  type WebhookKinds,
  type WebhookNotice,
  type WebhookOutcome,
  type WebhookReceiver,
  type WebhookReceiverOptions,
  webhookRecordKey,
} from './webhooks';
