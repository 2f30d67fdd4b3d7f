import { join, resolve } from 'node:path';
import { readProviderEnv } from './env';
import type { CliIo } from './io';

/**
 * Where a command's store lives: `--store`, else `.loraflow/` in the cwd; its `emulator/` folder when
 * no provider key is set, since the built-in emulator's models live in their own namespace (a cache
 * entry naming an emulated model must never be served to a run against the real providers).
 *
 * @example
 * const { storeDir } = storeDirOf(io, flags.store);
 */
export function storeDirOf(io: CliIo, store: string | undefined): { storeDir: string; builtIn: boolean } {
  const env = readProviderEnv(io.env);
  const root = resolve(io.cwd, store ?? '.loraflow');
  const builtIn = !env.SCENARIO_API_KEY && !env.MODELSLAB_API_KEY;
  return { storeDir: builtIn ? join(root, 'emulator') : root, builtIn };
}
