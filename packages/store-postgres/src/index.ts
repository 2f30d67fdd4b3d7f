export { POSTGRES_STORE_CODES, PostgresStoreError } from './errors';
export { createRunQueue, type ExecuteRun, RUN_QUEUE, type RunQueue, type RunQueueOptions } from './queue';
export { createPostgresStore, type PostgresStore, type PostgresStoreOptions } from './store';
