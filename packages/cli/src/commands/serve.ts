import { serve } from '@hono/node-server';
import { createRuntimeHandler } from '@loraflow/runtime';
import { parseFlags, serveFlagsSchema } from '../flags';
import type { CliIo } from '../io';
import { openRuntime } from '../setup';
import { listen } from './listen';

/**
 * `loraflow serve`: the runtime's HTTP API (runs, events as SSE, catalogue) on `--port`, 127.0.0.1 by default, with
 * the keys of the environment (or the built-in emulator).
 *
 * @example
 * await serveCommand(io, { port: 8787 });
 */
export async function serveCommand(io: CliIo, rawFlags: unknown): Promise<number> {
  const flags = parseFlags(serveFlagsSchema, rawFlags);
  if (flags.host !== '127.0.0.1' && flags.host !== 'localhost' && flags.host !== '::1') {
    io.stderr.write(
      `loraflow: serving on ${flags.host}: the runtime API has no authentication of its own; anyone who reaches it spends your provider credits\n`,
    );
  }
  const cli = await openRuntime(io, { store: flags.store, baseDir: io.cwd, outDir: io.cwd });
  try {
    const handler = createRuntimeHandler(cli.runtime);
    return await listen(io, 'loraflow runtime', async () => {
      const server = serve({ fetch: handler, port: flags.port, hostname: flags.host });
      await new Promise<void>((ok, fail) => {
        server.once('listening', ok);
        server.once('error', fail);
      });
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : flags.port;
      return {
        url: `http://${flags.host}:${port}`,
        close: () =>
          new Promise<void>((ok) => {
            server.close(() => ok());
            (server as import('node:http').Server).closeAllConnections?.();
          }),
      };
    });
  } finally {
    await cli.close();
  }
}
