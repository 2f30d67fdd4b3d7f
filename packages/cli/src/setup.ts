import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createRegistry } from '@loraflow/core';
import { createLoraModelSources, loraPack } from '@loraflow/nodes';
import { createRuntime, type LocalRuntime, type RuntimeStore } from '@loraflow/runtime';
import { createFileStore } from '@loraflow/runtime/node';
import { openProviders, type Providers, readProviderEnv } from './env';
import { CLI_CODES, CliError, EXIT } from './errors';
import { createFilesService } from './graph-file';
import type { CliIo } from './io';
import { storeDirOf } from './store-dir';
import { storeWarnings } from './store-warnings';

/**
 * The message printed on stderr whenever the built-in emulator stands in for the providers.
 *
 * @example
 * if (providers.emulator) io.stderr.write(`${EMULATOR_NOTICE}\n`);
 */
export const EMULATOR_NOTICE = 'loraflow: no provider keys set — using the built-in emulator';

/**
 * A runtime with the LoRA pack, its providers and its store, ready for one command.
 *
 * @example
 * const { runtime, close }: CliRuntime = await openRuntime(io, { filesRoot: '.', outDir: 'out' });
 */
export interface CliRuntime {
  runtime: LocalRuntime;
  providers: Providers;
  store: RuntimeStore;
  /** Where the store lives (`<store>/emulator` with the built-in emulator). */
  storeDir: string;
  close(): Promise<void>;
}

/**
 * Opens what a command runs on: provider clients from the environment (or the built-in emulator, announced on
 * stderr), the store (`--store`, else `.loraflow/` in the cwd; its `emulator/` folder with the built-in emulator,
 * whose own state is kept there too so its models outlive the process) and a runtime over both.
 *
 * @example
 * const { runtime, close } = await openRuntime(io, { filesRoot: 'examples', outDir: 'out' });
 */
export async function openRuntime(
  io: CliIo,
  o: {
    store?: string | undefined;
    filesRoot: string | undefined;
    outDir: string;
    maxPollMs?: number | undefined;
    /** Store warnings as JSON lines (`--json`). */
    json?: boolean;
  },
): Promise<CliRuntime> {
  const env = readProviderEnv(io.env);
  const { storeDir, builtIn } = storeDirOf(io, o.store);
  try {
    await mkdir(storeDir, { recursive: true });
  } catch (error) {
    throw new CliError(
      CLI_CODES.storeUnusable,
      ['--store'],
      `The store ${storeDir} cannot be read or written (${(error as NodeJS.ErrnoException).code ?? 'error'}); point --store at a folder you can write.`,
      EXIT.failed,
    );
  }
  const providers = await openProviders(env, {
    ...(o.maxPollMs !== undefined ? { maxPollMs: o.maxPollMs } : {}),
    ...(builtIn ? { emulatorStateFile: join(storeDir, 'provider-state.ndjson') } : {}),
  });
  if (providers.emulator) io.stderr.write(`${EMULATOR_NOTICE}\n`);
  const store = createFileStore({ dir: storeDir, onProblem: storeWarnings(io, o.json ?? false) });
  const files = createFilesService({ root: o.filesRoot, outDir: o.outDir });
  const runtime = createRuntime({
    registry: createRegistry(loraPack),
    store,
    services: {
      scenario: providers.scenario,
      modelslab: providers.modelslab,
      polling: providers.polling,
      files,
    },
    secrets: providers.secrets,
    models: createLoraModelSources({ scenario: providers.scenario, modelslab: providers.modelslab }),
  });
  return { runtime, providers, store, storeDir, close: () => providers.close() };
}
