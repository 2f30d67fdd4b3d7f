import { startEmulator } from '@loraflow/emulator/node';
import { emulatorFlagsSchema, parseFlags } from '../flags';
import type { CliIo } from '../io';
import { listen } from './listen';

/**
 * `loraflow emulator`: the local provider emulator on `--port` (127.0.0.1), its clock `--speed` times real time.
 *
 * @example
 * await emulatorCommand(io, { port: 8790, speed: 60 });
 */
export async function emulatorCommand(io: CliIo, rawFlags: unknown): Promise<number> {
  const flags = parseFlags(emulatorFlagsSchema, rawFlags);
  return listen(io, 'loraflow emulator', async () => {
    const server = await startEmulator({
      port: flags.port,
      clock: flags.speed === 1 ? 'real' : { speed: flags.speed },
      ...(flags.seed !== undefined ? { seed: flags.seed } : {}),
    });
    io.stderr.write(
      `Scenario: ${server.url}/scenario/v1 · ModelsLab: ${server.url}/modelslab/api · control: ${server.url}/_emulator\n`,
    );
    return server;
  });
}
