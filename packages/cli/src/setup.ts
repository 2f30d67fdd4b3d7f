import { resolve } from 'node:path';
import { createRegistry } from '@loraflow/core';
import { loraPack } from '@loraflow/nodes';
import { createMemoryStore, createRuntime, type Runtime, type RuntimeStore } from '@loraflow/runtime';
import { createFileStore } from '@loraflow/runtime/node';
import { openProviders, type Providers, readProviderEnv } from './env';
import { createFilesService } from './graph-file';
import type { CliIo } from './io';

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
 * const { runtime, close }: CliRuntime = await openRuntime(io, { baseDir: '.', outDir: 'out' });
 */
export interface CliRuntime {
  runtime: Runtime;
  providers: Providers;
  store: RuntimeStore;
  /** Where the store lives, or undefined for the in-memory one. */
  storeDir: string | undefined;
  close(): Promise<void>;
}

/**
 * Opens what a command runs on: provider clients from the environment (or the built-in emulator, announced on
 * stderr), the store (`--store`, else `.loraflow/` in the cwd; in memory with the built-in emulator, whose models
 * vanish when the process ends) and a runtime over both.
 *
 * @example
 * const { runtime, close } = await openRuntime(io, { baseDir: 'examples', outDir: 'out' });
 */
export async function openRuntime(
  io: CliIo,
  o: { store?: string | undefined; baseDir: string; outDir: string; maxPollMs?: number | undefined },
): Promise<CliRuntime> {
  const env = readProviderEnv(io.env);
  const providers = await openProviders(env, o.maxPollMs !== undefined ? { maxPollMs: o.maxPollMs } : {});
  if (providers.emulator) io.stderr.write(`${EMULATOR_NOTICE}\n`);
  const storeDir =
    o.store !== undefined
      ? resolve(io.cwd, o.store)
      : providers.emulator
        ? undefined
        : resolve(io.cwd, '.loraflow');
  const store = storeDir ? createFileStore({ dir: storeDir }) : createMemoryStore();
  const files = createFilesService({ baseDir: o.baseDir, outDir: o.outDir });
  const runtime = createRuntime({
    registry: createRegistry(loraPack),
    store,
    services: {
      scenario: providers.scenario,
      modelslab: providers.modelslab,
      polling: providers.polling,
      files,
      fetch: globalThis.fetch,
    },
    secrets: providers.secrets,
  });
  return { runtime, providers, store, storeDir, close: () => providers.close() };
}
