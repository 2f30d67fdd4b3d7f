import { CLI_CODES, CliError, EXIT } from '../errors';
import type { CliIo } from '../io';

/**
 * Starts a server for `serve` or `emulator`, prints where it listens, and keeps it up until the host says stop;
 * a port in use (or forbidden) is refused with `port.in-use`.
 *
 * @example
 * return listen(io, 'loraflow emulator', () => startEmulator({ port: 8790 }));
 */
export async function listen(
  io: CliIo,
  what: string,
  start: () => Promise<{ url: string; close: () => Promise<void> }>,
): Promise<number> {
  let running: { url: string; close: () => Promise<void> };
  try {
    running = await start();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES') {
      throw new CliError(
        CLI_CODES.portInUse,
        ['--port'],
        `The ${what} cannot listen on that port (${code}).`,
        EXIT.failed,
      );
    }
    throw error;
  }
  io.stdout.write(`${what} listening on ${running.url}\n`);
  await (io.untilStopped?.() ?? new Promise<void>(() => {}));
  await running.close();
  return EXIT.ok;
}
