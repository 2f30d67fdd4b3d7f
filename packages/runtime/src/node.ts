/**
 * Node-only parts of the runtime, apart so that browser bundles of `@loraflow/runtime` never see `node:fs`.
 *
 * @example
 * import { createFileStore } from '@loraflow/runtime/node';
 */

export {
  createRootedFiles,
  FILES_CODES,
  FilesError,
  MAX_FILE_BYTES,
  type RootedFiles,
  type RootedFilesOptions,
} from './files/rooted';
export { boundedServer, type ServerLimits } from './http/server-limits';
export { createFileStore, type FileStore, type FileStoreOptions } from './store/file';
