export { POSTGRES_STORE_CODES, PostgresStoreError } from './errors';
export { createPostgresStore, type PostgresStore, type PostgresStoreOptions } from './store';
