export { CLI_VERSION, runCli } from './cli';
export { ENV_NAMES, openProviders, type Providers, readProviderEnv } from './env';
export { CLI_CODES, CliError, EXIT, formatPath, formatProblem } from './errors';
export { createFilesService, parseGraphText, readGraphFile } from './graph-file';
export type { CliIo, OutStream } from './io';
export { createProgressView, describeProgress, formatDuration, type ProgressMode } from './progress';
export { buildReport, type NodeReport, type RunReport, writeOutputs } from './report';
export { EMULATOR_NOTICE, openRuntime } from './setup';
